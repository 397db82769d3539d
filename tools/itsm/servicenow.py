"""ServiceNow Table API client on `incident`: journal writes, state changes, read-back of journal entries.

Facts relied on (see CONTRACTS.md §1): the v2 Table API answers an unmatched list query with 200 and
`[]`; PATCHing `work_notes` / `comments` appends a journal entry (never idempotent); journal entries are
read back from `sys_journal_field` by `element_id` and `element`; a 403 may be a data-policy rejection
rather than a permission problem.

Policy: `close_notes` is never written, so a resolve (which needs `close_code` and `close_notes`) is
refused before any I/O and flagged for a person; "in progress" is state 2, "pending info" is On Hold (3)
awaiting caller.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from tools.itsm.errors import ItsmError, WriteRefused
from tools.itsm.http import Entry, PlatformClient, Request
from tools.itsm.marker import make_marker
from tools.itsm.models import PlannedWrite, WriteSpec
from tools.itsm.settings import ItsmSettings

API = "/api/now/v2/table"
JOURNAL_MAX_CHARS = 4000
"""Our limit for one journal entry (a conservative policy value, not a documented platform maximum)."""

FIELDS = {"internal_note": "work_notes", "public_reply": "comments", "set_status": "state"}
STATES = {"in_progress": ("2", "In Progress"), "pending_info": ("3", "On Hold")}
AWAITING_CALLER = "1"
WRITABLE_FIELDS = frozenset({"work_notes", "comments", "state", "hold_reason"})
"""Every field this client may ever send; `close_notes` and `close_code` are deliberately absent."""

_SYS_ID = re.compile(r"^[0-9a-f]{32}$")


class ServiceNowClient(PlatformClient):
    system = "servicenow"

    @classmethod
    def from_settings(cls, settings: ItsmSettings, **kwargs: Any) -> ServiceNowClient:
        sn = settings.servicenow
        if not sn.url:
            raise WriteRefused("ServiceNow is not configured (HELPDESK_SERVICENOW_URL)")
        if sn.token:
            return cls(
                sn.url, None, settings, headers={"Authorization": f"Bearer {sn.token.get_secret_value()}"}, **kwargs
            )
        if sn.user and sn.password:
            return cls(sn.url, (sn.user, sn.password.get_secret_value()), settings, **kwargs)
        raise WriteRefused("no ServiceNow credentials (HELPDESK_SERVICENOW_TOKEN or _USER and _PASSWORD)")

    def error_message(self, response: httpx.Response) -> str:
        """`{"error": {"message", "detail"}, "status": "failure"}`; a 403 says data policy or permission."""
        try:
            error = response.json().get("error") or {}
            text = ": ".join(str(part) for part in (error.get("message"), error.get("detail")) if part)
        except (ValueError, AttributeError):
            text = ""
        text = text or response.text[:300] or response.reason_phrase
        if response.status_code == 403:
            if "data policy" in text.lower():
                return f"data policy rejected the write: {text}"
            return f"permission denied (ACL or role): {text}"
        return text

    @staticmethod
    def locate(ticket: dict[str, Any]) -> str:
        """The sys_id when the ticket carries one, else its number (looked up by `resolve`)."""
        extra = ticket.get("extra") or {}
        ref = str(extra.get("sys_id") or ticket.get("id") or "")
        if not ref or "^" in ref or len(ref) > 100:
            raise WriteRefused(f"not a usable ServiceNow incident number: {ref[:40]!r}")
        return ref

    def resolve(self, ticket: dict[str, Any]) -> str:
        """The incident's sys_id (a query by number when the ticket does not carry it)."""
        ref = self.locate(ticket)
        if _SYS_ID.match(ref):
            return ref
        params = {"sysparm_query": f"number={ref}", "sysparm_fields": "sys_id,number,state", "sysparm_limit": "1"}
        rows = self.json_of(self.read(Request("GET", f"{API}/incident", params=params))).get("result") or []
        if not rows:
            raise ItsmError(f"incident {ref} not found (or hidden by an ACL)", http_status=200)
        return str(rows[0]["sys_id"])

    def plan(self, ref: str, ticket_id: str, write: PlannedWrite) -> WriteSpec:
        path = f"{API}/incident/{ref}"
        params = {"sysparm_fields": "sys_id,number,state,sys_updated_on"}
        field = FIELDS[write.action]
        if write.action == "set_status":
            if write.status not in STATES:
                raise WriteRefused(
                    f"ServiceNow state {write.status!r} is not written: resolving needs close_code and "
                    "close_notes, and policy forbids writing close_notes; a person resolves the incident"
                )
            value, label = STATES[write.status]
            body = {"state": value, **({"hold_reason": AWAITING_CALLER} if write.status == "pending_info" else {})}
            marker = make_marker(ticket_id, write.action, label)
            return WriteSpec(write.action, field, marker, label, "", Request("PATCH", path, body, params), value)
        content = write.body or ""
        marker = make_marker(ticket_id, write.action, content)
        text = f"{content}\n\n{marker}"
        return WriteSpec(
            write.action,
            field,
            marker,
            content,
            text,
            Request("PATCH", path, {field: text}, params),
            None,
            JOURNAL_MAX_CHARS,
        )

    def retraction(self, ref: str, ticket_id: str, body: str) -> WriteSpec:
        """Journal entries cannot be deleted through the Table API: a follow-up work note retracts."""
        marker = make_marker(ticket_id, "retract", body)
        text = f"{body}\n\n{marker}"
        request = Request("PATCH", f"{API}/incident/{ref}", {"work_notes": text}, {"sysparm_fields": "sys_id"})
        return WriteSpec("retract", "work_notes", marker, body, text, request, None, JOURNAL_MAX_CHARS)

    def find(self, ref: str, marker: str, field: str | None = None) -> list[Entry]:
        """Journal entries of the incident carrying the marker (sys_journal_field, newest first)."""
        query = (
            f"element_id={ref}^"
            + (f"element={field}^" if field else "")
            + f"valueLIKE{marker}^ORDERBYDESCsys_created_on"
        )
        params = {"sysparm_query": query, "sysparm_fields": "sys_id,element,value", "sysparm_limit": "100"}
        rows = self.json_of(self.read(Request("GET", f"{API}/sys_journal_field", params=params))).get("result") or []
        return [
            Entry(str(r["sys_id"]), str(r.get("element")), str(r.get("value")))
            for r in rows
            if marker in str(r.get("value"))
        ]

    def count(self, ref: str, spec: WriteSpec) -> int:
        if spec.action == "set_status":
            record = self.json_of(
                self.read(Request("GET", f"{API}/incident/{ref}", params={"sysparm_fields": "state"}))
            )
            return int(str((record.get("result") or {}).get("state")) == spec.target)
        return len(self.find(ref, spec.marker, spec.field))

    def prepare(self, ref: str, spec: WriteSpec) -> Request:
        if spec.request is None:
            raise ItsmError(f"no request planned for {spec.action}")
        return spec.request
