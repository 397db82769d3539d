"""Jira Cloud (platform REST v3) and Jira Service Management client: comments in ADF, transitions by name.

Facts relied on (CONTRACTS.md §2): v3 comment bodies are ADF; `jsdPublic` is read-only, so JSM internal
comments go through `POST /rest/servicedeskapi/request/{key}/comment` with `public: false` (plain-text
body); transition ids are workflow-specific, so a status change looks the transition up by the target
status name (`GET …/transitions`) every time; errors come as `{"errorMessages": [...], "errors": {...}}`.
Comments are read back from the platform comment list, which holds internal and public ones alike.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from tools.itsm.adf import adf_to_text, text_to_adf
from tools.itsm.errors import ItsmError, WriteRefused
from tools.itsm.http import Entry, PlatformClient, Request
from tools.itsm.marker import make_marker
from tools.itsm.models import PlannedWrite, WriteSpec
from tools.itsm.settings import ItsmSettings

API = "/rest/api/3"
JSM_API = "/rest/servicedeskapi"
COMMENT_MAX_CHARS = 32_767
"""Jira's limit on the text of one comment."""

STATUS_NAMES: dict[str, tuple[str, ...]] = {
    "in_progress": ("In Progress",),
    "pending_info": ("Waiting for customer", "Waiting for reporter", "Pending"),
    "resolved": ("Resolved", "Done"),
}
"""Target status names per planned status, in order of preference (matched case-insensitively)."""

_PAGE = 100
_KEY = re.compile(r"^[^\s/?#]{1,255}$")


class JiraClient(PlatformClient):
    system = "jira"

    @classmethod
    def from_settings(cls, settings: ItsmSettings, **kwargs: Any) -> JiraClient:
        jira = settings.jira
        if not jira.url:
            raise WriteRefused("Jira is not configured (HELPDESK_JIRA_URL)")
        if jira.bearer:
            headers = {"Authorization": f"Bearer {jira.bearer.get_secret_value()}"}
            return cls(jira.url, None, settings, headers=headers, **kwargs)
        if jira.email and jira.api_token:
            return cls(jira.url, (jira.email, jira.api_token.get_secret_value()), settings, **kwargs)
        raise WriteRefused("no Jira credentials (HELPDESK_JIRA_BEARER or _EMAIL and _API_TOKEN)")

    def error_message(self, response: httpx.Response) -> str:
        """ErrorCollection, plus the older `errorMessage` / `message` shapes and non-JSON bodies."""
        try:
            data = response.json()
        except ValueError:
            data = None
        parts: list[str] = []
        if isinstance(data, dict):
            parts += [str(m) for m in data.get("errorMessages") or []]
            parts += [f"{k}: {v}" for k, v in (data.get("errors") or {}).items()]
            parts += [str(data[k]) for k in ("errorMessage", "message") if data.get(k)]
        denied = response.headers.get("X-Authentication-Denied-Reason")
        if denied:
            parts.append(f"authentication denied: {denied}")
        return "; ".join(parts) or response.text[:300] or response.reason_phrase

    @staticmethod
    def locate(ticket: dict[str, Any]) -> str:
        key = str((ticket.get("extra") or {}).get("key") or ticket.get("id") or "")
        if not _KEY.match(key):
            raise WriteRefused(f"not a usable Jira issue key: {key[:40]!r}")
        return key

    def resolve(self, ticket: dict[str, Any]) -> str:
        """The issue's current key (Jira follows moved issues and answers with the new key)."""
        key = self.locate(ticket)
        issue = self.json_of(self.read(Request("GET", f"{API}/issue/{key}", params={"fields": "status"})))
        return str(issue.get("key") or key)

    def plan(self, ref: str, ticket_id: str, write: PlannedWrite) -> WriteSpec:
        if write.action == "set_status":
            names = STATUS_NAMES[write.status or ""] if write.status in STATUS_NAMES else None
            if not names:
                raise WriteRefused(f"no Jira status mapped for {write.status!r}")
            marker = make_marker(ticket_id, write.action, names[0])
            return WriteSpec(write.action, "transition", marker, names[0], "", None, write.status)
        content = write.body or ""
        marker = make_marker(ticket_id, write.action, content)
        text = f"{content}\n\n{marker}"
        jira = self.settings.jira
        if write.action == "internal_note" and jira.service_desk:
            request = Request("POST", f"{JSM_API}/request/{ref}/comment", {"body": text, "public": False})
        else:
            body: dict[str, Any] = {"body": text_to_adf(text)}
            if write.action == "internal_note" and jira.internal_role:
                body["visibility"] = {"type": "role", "value": jira.internal_role}
            request = Request("POST", f"{API}/issue/{ref}/comment", body)
        return WriteSpec(write.action, "comment", marker, content, text, request, None, COMMENT_MAX_CHARS)

    def comments(self, ref: str) -> list[Entry]:
        """Every comment of the issue (internal and public), oldest first, all pages."""
        entries: list[Entry] = []
        start = 0
        while True:
            params = {"startAt": start, "maxResults": _PAGE, "orderBy": "created"}
            page = self.json_of(self.read(Request("GET", f"{API}/issue/{ref}/comment", params=params)))
            batch = page.get("comments") or []
            entries += [Entry(str(c.get("id")), "comment", adf_to_text(c.get("body"))) for c in batch]
            start += len(batch)
            if not batch or start >= int(page.get("total") or 0):
                return entries

    def find(self, ref: str, marker: str, field: str | None = None) -> list[Entry]:
        return [entry for entry in self.comments(ref) if marker in entry.text]

    def status_name(self, ref: str) -> str:
        issue = self.json_of(self.read(Request("GET", f"{API}/issue/{ref}", params={"fields": "status"})))
        return str(((issue.get("fields") or {}).get("status") or {}).get("name") or "")

    def count(self, ref: str, spec: WriteSpec) -> int:
        if spec.action == "set_status":
            wanted = {name.lower() for name in STATUS_NAMES[spec.target or ""]}
            return int(self.status_name(ref).lower() in wanted)
        return len(self.find(ref, spec.marker))

    def transition_request(self, ref: str, target: str) -> Request:
        """The transition to the first available target status name; never a hard-coded id."""
        listing = self.json_of(self.read(Request("GET", f"{API}/issue/{ref}/transitions")))
        available = {
            str((t.get("to") or {}).get("name", "")).lower(): str(t.get("id"))
            for t in listing.get("transitions") or []
            if t.get("isAvailable", True)
        }
        for name in STATUS_NAMES[target]:
            if name.lower() in available:
                return Request(
                    "POST", f"{API}/issue/{ref}/transitions", {"transition": {"id": available[name.lower()]}}
                )
        raise ItsmError(
            f"no transition to {' / '.join(STATUS_NAMES[target])} is available "
            f"(offered: {', '.join(sorted(available)) or 'none'})"
        )

    def prepare(self, ref: str, spec: WriteSpec) -> Request:
        """The request to send now: a status change needs the transition offered at this moment."""
        return spec.request or self.transition_request(ref, spec.target or "")

    def delete(self, ref: str, entry: Entry) -> httpx.Response:
        return self.send(Request("DELETE", f"{API}/issue/{ref}/comment/{entry.id}"))
