"""The write-back executor the graph calls: validate, mark, write exactly once, read back, audit.

For every planned write: map it onto the platform (`plan`, pure), validate the exact payload (nothing
that fails is sent), then loop (tenacity, bounded): read the ticket for the marker, skip when it is
there, otherwise send once. After the loop the ticket is read back: `confirmed` only when the marker is
found exactly once, `flagged` with the reason otherwise. Nothing raises to the caller and nothing is
dropped: every failure becomes a flagged action, and every attempt becomes an audit record.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from graph.state import Source, Writeback, WritebackAction
from tools.itsm.audit import AuditRecord, audit
from tools.itsm.errors import ItsmError, WriteRefused
from tools.itsm.freshservice import FreshserviceClient
from tools.itsm.http import Entry, Request
from tools.itsm.jira import JiraClient
from tools.itsm.marker import defang
from tools.itsm.models import Mode, PlannedWrite, WriteSpec
from tools.itsm.retry import retrying
from tools.itsm.servicenow import ServiceNowClient
from tools.itsm.settings import ItsmSettings
from tools.itsm.validation import request_problems, validate_write
from tools.screening import redact

log = logging.getLogger(__name__)

Client = ServiceNowClient | JiraClient | FreshserviceClient
CLIENTS: dict[str, type[Client]] = {
    "servicenow": ServiceNowClient,
    "jira": JiraClient,
    "freshservice": FreshserviceClient,
}


class _Run:
    """One ticket's write-back: the client, who acts, and the audit context."""

    def __init__(self, client: Client, ticket_id: str, agent: str, run_id: str | None, sleep: Callable[[float], None]):
        self.client = client
        self.system: Source = client.system
        self.ticket_id = ticket_id
        self.agent = agent
        self.run_id = run_id
        self.sleep = sleep

    def audit(self, spec: WriteSpec, outcome: str, *, request: Request | None = None, **fields: Any) -> None:
        audit(
            AuditRecord(
                ticket_id=self.ticket_id,
                platform=self.system,
                agent=self.agent,
                action=spec.action,
                field=spec.field,
                payload_hash=payload_hash(request or spec.request),
                marker=spec.marker,
                outcome=outcome,  # type: ignore[arg-type]
                run_id=self.run_id,
                **fields,
            )
        )

    def perform(self, ref: str, spec: WriteSpec) -> WritebackAction:
        """Check-then-write under the retry policy, then confirm by read-back."""
        attempts = 0
        http_status: int | None = None
        error: ItsmError | None = None
        policy = self.client.settings.retry

        def one_try() -> None:
            nonlocal attempts, http_status
            if self.client.count(ref, spec) >= 1:
                self.audit(spec, "already_present", attempt=attempts)
                return
            request = self.client.prepare(ref, spec)
            if spec.request is None and (problems := request_problems(self.system, request)):
                raise WriteRefused("; ".join(problems))
            attempts += 1
            started = time.perf_counter()
            try:
                response = self.client.send(request)
            except ItsmError as exc:
                http_status = exc.http_status or http_status
                self.audit(
                    spec,
                    "error",
                    request=request,
                    attempt=attempts,
                    http_status=exc.http_status,
                    latency_ms=_ms(started),
                    error=str(exc),
                )
                raise
            http_status = response.status_code
            self.audit(
                spec, "sent", request=request, attempt=attempts, http_status=http_status, latency_ms=_ms(started)
            )

        try:
            for attempt in retrying(policy, self.sleep):
                with attempt:
                    one_try()
        except ItsmError as exc:
            error = exc
            if exc.maybe_landed:
                self.sleep(policy.settle_s)
        return self.confirm(ref, spec, attempts, http_status, error)

    def confirm(
        self, ref: str, spec: WriteSpec, attempts: int, http_status: int | None, error: ItsmError | None
    ) -> WritebackAction:
        """Read back: confirmed only when the marker is there exactly once."""
        if isinstance(error, WriteRefused):
            return self.flag(spec, attempts, http_status, str(error), 0)
        try:
            found = self.client.count(ref, spec)
        except ItsmError as exc:
            reason = f"{error}; " if error else ""
            return self.flag(spec, attempts, http_status or exc.http_status, f"{reason}read-back failed: {exc}", 0)
        if found == 1:
            self.audit(spec, "confirmed", attempt=attempts, http_status=http_status)
            return action(self.system, spec, "confirmed", attempts=attempts, marker_count=1, http_status=http_status)
        if found > 1:
            reason = f"marker found {found} times on read-back (duplicate writes)"
        else:
            tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
            reason = f"{error} (after {tries})" if error else "write not found on read-back"
        return self.flag(spec, attempts, http_status, reason, found)

    def flag(self, spec: WriteSpec, attempts: int, http_status: int | None, reason: str, found: int) -> WritebackAction:
        self.audit(spec, "flagged", attempt=attempts, http_status=http_status, error=reason)
        return action(
            self.system, spec, "flagged", attempts=attempts, marker_count=found, http_status=http_status, error=reason
        )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def payload_hash(request: Request | None) -> str:
    body = json.dumps(request.json if request else None, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def action(
    system: Source,
    spec: WriteSpec | None,
    status: str,
    *,
    field: str = "",
    attempts: int = 0,
    marker_count: int = 0,
    http_status: int | None = None,
    error: str | None = None,
) -> WritebackAction:
    """One `WritebackAction` dict (bodies and errors redacted: they leave the process)."""
    body = (spec.text or f"status: {spec.content}") if spec else ""
    return {
        "system": system,
        "field": spec.field if spec else field,
        "body": redact(body),
        "status": status,  # type: ignore[typeddict-item]
        "marker": spec.marker if spec else "",
        "marker_count": marker_count,
        "attempts": attempts,
        "error": redact(error) if error else None,
        "http_status": http_status,
    }


def _field_of(system: str, write: PlannedWrite) -> str:
    names = {
        "servicenow": {"internal_note": "work_notes", "public_reply": "comments", "set_status": "state"},
        "jira": {"internal_note": "comment", "public_reply": "comment", "set_status": "transition"},
        "freshservice": {"internal_note": "note", "public_reply": "reply", "set_status": "status"},
    }
    return names.get(system, {}).get(write.action, write.action)


def execute_writeback(
    ticket: dict[str, Any],
    writes: list[PlannedWrite],
    *,
    agent: str,
    mode: Mode,
    ticket_text: str,
    run_id: str | None = None,
    settings: ItsmSettings | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Writeback:
    """Perform the planned writes on the ticket's ITSM; never raises (failures become flagged actions).

    Returns the main (first) write's fields plus `actions`, every write's outcome in order.
    `settings`, `transport` and `sleep` default to the environment, a real connection and `time.sleep`.
    """
    system = str(ticket.get("source") or "")
    try:
        actions = _execute(ticket, writes, agent, mode, ticket_text, run_id, settings, transport, sleep)
    except Exception as exc:  # the last line of defence: a write-back must never crash the graph
        log.exception("write-back failed on ticket %r", ticket.get("id"))
        reason = f"internal error: {type(exc).__name__}: {exc}"
        actions = [action(system, None, "flagged", field=_field_of(system, w), error=reason) for w in writes]  # type: ignore[arg-type]
    if not actions:
        return {
            "system": system,
            "field": "",
            "status": "skipped",
            "marker": "",
            "marker_count": 0,  # type: ignore[typeddict-item]
            "attempts": 0,
            "error": None,
            "http_status": None,
            "actions": [],
        }
    return {**actions[0], "actions": actions}  # type: ignore[typeddict-item]


def _execute(
    ticket: dict[str, Any],
    writes: list[PlannedWrite],
    agent: str,
    mode: Mode,
    ticket_text: str,
    run_id: str | None,
    settings: ItsmSettings | None,
    transport: httpx.BaseTransport | None,
    sleep: Callable[[float], None],
) -> list[WritebackAction]:
    system = str(ticket.get("source") or "")
    if system not in CLIENTS:
        reason = f"unknown ITSM source {system!r}"
        return [action(system, None, "flagged", field=_field_of(system, w), error=reason) for w in writes]  # type: ignore[arg-type]
    settings = settings or ItsmSettings.from_env()
    cls = CLIENTS[system]
    ticket_id = str(ticket.get("id") or "")
    try:
        client = (
            cls("http://planning.invalid", None, settings)
            if mode == "dry_run"
            else cls.from_settings(settings, transport=transport, sleep=sleep)
        )
    except WriteRefused as exc:
        return [action(system, None, "flagged", field=_field_of(system, w), error=str(exc)) for w in writes]  # type: ignore[arg-type]
    with client:
        run = _Run(client, ticket_id, agent, run_id, sleep)
        checked = _check_all(run, ticket, writes, ticket_text, dry_run=mode == "dry_run")
        if mode == "dry_run":
            return [_dry_run_result(run, spec, problem) for spec, problem in checked]
        if all(problem for _, problem in checked):
            return [_refused(run, spec, problem) for spec, problem in checked]
        try:
            ref = client.resolve(ticket)
        except ItsmError as exc:
            return [
                _refused(run, spec, problem or f"ticket lookup failed: {exc}", exc.http_status)
                for spec, problem in checked
            ]
        results = []
        for (spec, problem), write in zip(checked, writes, strict=True):
            if problem:
                results.append(_refused(run, spec, problem))
                continue
            results.append(run.perform(ref, client.plan(ref, ticket_id, write)))
        return results


def _check_all(
    run: _Run, ticket: dict[str, Any], writes: list[PlannedWrite], ticket_text: str, *, dry_run: bool
) -> list[tuple[WriteSpec | PlannedWrite, str | None]]:
    """Plan and validate every write before any I/O; a problem means the write will not be sent.
    A dry run does not require the id to be addressable on the platform (no instance is involved)."""
    client = run.client
    try:
        ref = client.locate(ticket)
    except WriteRefused as exc:
        if not dry_run:
            return [(w, str(exc)) for w in writes]
        ref = run.ticket_id or "unknown"  # addressing is the live instance's business; the payloads still count
    checked: list[tuple[WriteSpec | PlannedWrite, str | None]] = []
    for write in writes:
        try:
            spec = client.plan(ref, run.ticket_id, write)
        except WriteRefused as exc:
            checked.append((write, str(exc)))
            continue
        problems = validate_write(run.system, spec, ticket_text=ticket_text)
        checked.append((spec, "; ".join(problems) or None))
    return checked


def _refused(run: _Run, spec: WriteSpec | PlannedWrite, reason: str, http_status: int | None = None) -> WritebackAction:
    if isinstance(spec, PlannedWrite):
        unplanned = WriteSpec(spec.action, _field_of(run.system, spec), "", "", "", None)
        run.audit(unplanned, "rejected", error=reason, http_status=http_status)
        return action(run.system, None, "flagged", field=unplanned.field, error=reason, http_status=http_status)
    run.audit(spec, "rejected", error=reason, http_status=http_status)
    return action(run.system, spec, "flagged", error=reason, http_status=http_status)


def _dry_run_result(run: _Run, spec: WriteSpec | PlannedWrite, problem: str | None) -> WritebackAction:
    if problem or isinstance(spec, PlannedWrite):
        return _refused(run, spec, problem or "not planned")
    run.audit(spec, "dry_run")
    return action(run.system, spec, "dry_run")


def retract_writeback(
    ticket: dict[str, Any],
    marker: str,
    *,
    agent: str = "human",
    reason: str | None = None,
    settings: ItsmSettings | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Compensate a write-back: delete the Jira comment / Freshservice note carrying `marker`, or (ServiceNow
    journals and e-mailed Freshservice replies cannot be undone) add a "retracted" internal note.

    Returns {system, marker, status: retracted | flagged, method, error, http_status}; never raises.
    """
    system = str(ticket.get("source") or "")
    result: dict[str, Any] = {
        "system": system,
        "marker": marker,
        "status": "flagged",
        "method": None,
        "error": None,
        "http_status": None,
    }
    try:
        if system not in CLIENTS:
            raise WriteRefused(f"unknown ITSM source {system!r}")
        settings = settings or ItsmSettings.from_env()
        with CLIENTS[system].from_settings(settings, transport=transport, sleep=sleep) as client:
            run = _Run(client, str(ticket.get("id") or ""), agent, None, sleep)
            ref = client.resolve(ticket)
            entries = client.find(ref, marker)
            if not entries:
                raise ItsmError("no entry on the ticket carries this marker")
            deletable = [e for e in entries if system == "jira" or (system == "freshservice" and e.field == "note")]
            if deletable:
                result.update(_delete_entries(run, ref, marker, deletable))
            if len(deletable) < len(entries):
                result.update(_retraction_note(run, ref, marker, entries, reason))
    except ItsmError as exc:
        result.update(error=redact(str(exc)), http_status=exc.http_status)
    except Exception as exc:  # compensation must report, never crash the operator's command
        log.exception("retract failed on %r", ticket.get("id"))
        result.update(error=f"internal error: {type(exc).__name__}: {exc}")
    if result["status"] != "retracted" and result["error"] is None:
        result["error"] = "retraction not confirmed"
    return result


def _delete_entries(run: _Run, ref: str, marker: str, entries: list[Entry]) -> dict[str, Any]:
    client = run.client
    spec = WriteSpec("retract", entries[0].field, marker, "", "", None)
    status: int | None = None
    for entry in entries:
        for attempt in retrying(client.settings.retry, run.sleep):
            with attempt:
                started = time.perf_counter()
                try:
                    status = client.delete(ref, entry).status_code  # type: ignore[union-attr]
                except ItsmError as exc:
                    if exc.http_status == 404:  # already gone (a retry after a lost answer)
                        break
                    run.audit(
                        spec,
                        "error",
                        attempt=attempt.retry_state.attempt_number,
                        http_status=exc.http_status,
                        latency_ms=_ms(started),
                        error=str(exc),
                    )
                    raise
                run.audit(
                    spec,
                    "sent",
                    attempt=attempt.retry_state.attempt_number,
                    http_status=status,
                    latency_ms=_ms(started),
                )
    remaining = len([e for e in client.find(ref, marker) if e.field == entries[0].field])
    outcome = "retracted" if remaining == 0 else "flagged"
    run.audit(spec, outcome, http_status=status, error=None if remaining == 0 else f"{remaining} entries remain")
    return {
        "status": outcome,
        "method": "deleted",
        "http_status": status,
        "error": None if remaining == 0 else f"{remaining} entries still carry the marker",
    }


def _retraction_note(run: _Run, ref: str, marker: str, entries: list[Entry], reason: str | None) -> dict[str, Any]:
    fields = ", ".join(sorted({e.field for e in entries}))
    body = f"Retracted by {run.agent}: the {fields} entry marked {defang(marker)} is withdrawn; disregard it." + (
        f" Reason: {reason}" if reason else ""
    )
    client = run.client
    spec = client.retraction(ref, run.ticket_id, body)  # type: ignore[union-attr]
    problems = request_problems(run.system, spec.request) if spec.request else ["no request"]
    if problems:
        return {"status": "flagged", "method": "retraction_note", "error": "; ".join(problems)}
    result = run.perform(ref, spec)
    done = result["status"] == "confirmed"
    if done:
        run.audit(spec, "retracted", http_status=result["http_status"])
    return {
        "status": "retracted" if done else "flagged",
        "method": "retraction_note",
        "http_status": result["http_status"],
        "error": result["error"],
        "retraction_marker": spec.marker,
    }
