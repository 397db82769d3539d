"""Freshservice v2 client: private notes, replies, status updates with valid codes, conversation read-back.

Facts relied on (CONTRACTS.md §3): basic auth with the API key as user and any password (`key:X`);
`POST /tickets/{id}/notes` with `private: true`, `POST /tickets/{id}/reply` (e-mails the requester),
`PUT /tickets/{id}` with status 2 Open, 3 Pending, 4 Resolved, 5 Closed; conversations are listed
30 per page and searched in `body_text`; notes are deleted with `DELETE /api/v2/conversations/{id}`
(the live documentation's path); errors are `{"description", "errors": [{"field","message","code"}]}`.
Freshservice has no "in progress" status: the agent taking the ticket keeps it Open (2).
"""

from __future__ import annotations

import hashlib
import html
import re
from typing import Any

import httpx

from tools.itsm.errors import ItsmError, WriteRefused
from tools.itsm.http import Entry, PlatformClient, Request
from tools.itsm.marker import make_marker
from tools.itsm.models import PlannedWrite, WriteSpec
from tools.itsm.settings import ItsmSettings

API = "/api/v2"
NOTE_MAX_CHARS = 32_767
"""Our cap for one note or reply: Freshservice documents none, so Jira's bound is used (as tools.notes does)."""

STATUS_CODES = {"in_progress": (2, "Open"), "pending_info": (3, "Pending"), "resolved": (4, "Resolved")}
VALID_STATUS = frozenset({2, 3, 4, 5})
VALID_PRIORITY = frozenset({1, 2, 3, 4})
_PAGE = 30
_ID = re.compile(r"^(?:#?(?:INC|SR)-)?(\d{1,18})$", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def text_to_html(text: str) -> str:
    """Escaped text, one <div> per paragraph, <br> for line breaks."""
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return "".join("<div>" + "<br>".join(html.escape(line) for line in b.split("\n")) + "</div>" for b in blocks)


def html_to_text(body: str) -> str:
    return html.unescape(_TAG.sub(" ", body.replace("<br>", "\n")))


def numeric_id(raw: str) -> str | None:
    """The numeric id of `123`, `INC-123`, `#SR-45`; None when there is none."""
    match = _ID.match(raw.strip())
    return match.group(1) if match else None


def derived_id(ticket_id: str) -> int:
    """A stable number for a non-numeric id (sandbox runs of sample tickets only)."""
    return int(hashlib.sha256(ticket_id.encode()).hexdigest()[:12], 16) % 10**9 + 10**9


class FreshserviceClient(PlatformClient):
    system = "freshservice"

    @classmethod
    def from_settings(cls, settings: ItsmSettings, **kwargs: Any) -> FreshserviceClient:
        fs = settings.freshservice
        if not fs.url:
            raise WriteRefused("Freshservice is not configured (HELPDESK_FRESHSERVICE_URL)")
        if not fs.api_key:
            raise WriteRefused("no Freshservice API key (HELPDESK_FRESHSERVICE_API_KEY)")
        return cls(fs.url, (fs.api_key.get_secret_value(), "X"), settings, **kwargs)

    def error_message(self, response: httpx.Response) -> str:
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            errors = "; ".join(
                f"{e.get('field') or '-'}: {e.get('message')} ({e.get('code')})" for e in data.get("errors") or []
            )
            head = data.get("description") or data.get("message") or data.get("code") or ""
            text = f"{head}: {errors}" if head and errors else head or errors
            if text:
                return str(text)
        return response.text[:300] or response.reason_phrase

    def locate(self, ticket: dict[str, Any]) -> str:
        raw = str((ticket.get("extra") or {}).get("freshservice_id") or ticket.get("id") or "").strip()
        numeric = numeric_id(raw)
        if numeric:
            return numeric
        if self.settings.freshservice.derive_ids and raw:
            return str(derived_id(raw))
        raise WriteRefused(f"a Freshservice ticket id must be numeric (123, INC-123 or SR-45), got {raw[:40]!r}")

    def resolve(self, ticket: dict[str, Any]) -> str:
        ref = self.locate(ticket)
        found = self.json_of(self.read(Request("GET", f"{API}/tickets/{ref}"))).get("ticket") or {}
        return str(found.get("id") or ref)

    def plan(self, ref: str, ticket_id: str, write: PlannedWrite) -> WriteSpec:
        if write.action == "set_status":
            if write.status not in STATUS_CODES:
                raise WriteRefused(f"no Freshservice status mapped for {write.status!r}")
            code, label = STATUS_CODES[write.status]
            marker = make_marker(ticket_id, write.action, label)
            request = Request("PUT", f"{API}/tickets/{ref}", {"status": code})
            return WriteSpec(write.action, "status", marker, label, "", request, str(code))
        content = write.body or ""
        marker = make_marker(ticket_id, write.action, content)
        text = f"{content}\n\n{marker}"
        if write.action == "internal_note":
            request = Request("POST", f"{API}/tickets/{ref}/notes", {"body": text_to_html(text), "private": True})
            return WriteSpec(write.action, "note", marker, content, text, request, None, NOTE_MAX_CHARS)
        request = Request("POST", f"{API}/tickets/{ref}/reply", {"body": text_to_html(text)})
        return WriteSpec(write.action, "reply", marker, content, text, request, None, NOTE_MAX_CHARS)

    def retraction(self, ref: str, ticket_id: str, body: str) -> WriteSpec:
        """A reply was e-mailed and cannot be unsent: a private note records its retraction."""
        return self.plan(ref, ticket_id, PlannedWrite("internal_note", body=body))

    def conversations(self, ref: str) -> list[Entry]:
        entries: list[Entry] = []
        page = 1
        while True:
            params = {"page": page}
            data = self.json_of(self.read(Request("GET", f"{API}/tickets/{ref}/conversations", params=params)))
            batch = data.get("conversations") or []
            for conv in batch:
                text = conv.get("body_text") or html_to_text(str(conv.get("body") or ""))
                kind = "note" if conv.get("source") == 2 else "reply"
                entries.append(Entry(str(conv.get("id")), kind, str(text)))
            if len(batch) < _PAGE:
                return entries
            page += 1

    def find(self, ref: str, marker: str, field: str | None = None) -> list[Entry]:
        return [entry for entry in self.conversations(ref) if marker in entry.text]

    def count(self, ref: str, spec: WriteSpec) -> int:
        if spec.action == "set_status":
            ticket = self.json_of(self.read(Request("GET", f"{API}/tickets/{ref}"))).get("ticket") or {}
            return int(str(ticket.get("status")) == spec.target)
        return len(self.find(ref, spec.marker))

    def prepare(self, ref: str, spec: WriteSpec) -> Request:
        if spec.request is None:
            raise ItsmError(f"no request planned for {spec.action}")
        return spec.request

    def delete(self, ref: str, entry: Entry) -> httpx.Response:
        return self.send(Request("DELETE", f"{API}/conversations/{entry.id}"))
