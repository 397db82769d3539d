"""The sandboxes' records: incidents and journal entries, Jira issues and comments, Freshservice tickets
and conversations. Tickets are created on first sight, so the sandbox is seeded by the tickets being run.

Every mutation and every snapshot holds one lock: the server's event loop writes while tests, in other
threads, count markers. The store also counts every field name a ServiceNow PATCH carried, so tests can
prove `close_notes` was never written.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tools.itsm.marker import MARKER_RE


def now_sn() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def now_z() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class JiraComment:
    id: str
    adf: dict[str, Any]
    text: str
    public: bool
    created: str
    visibility: dict[str, Any] | None = None


@dataclass
class JiraIssue:
    id: str
    key: str
    status: str = "Open"
    comments: list[JiraComment] = field(default_factory=list)


@dataclass
class Conversation:
    id: int
    ticket_id: int
    body: str
    body_text: str
    private: bool
    source: int  # 0 email (reply), 2 note
    created_at: str


@dataclass
class FreshTicket:
    id: int
    status: int = 2
    priority: int = 2
    subject: str = ""
    updated_at: str = field(default_factory=now_z)


class SandboxStore:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.incidents: dict[str, dict[str, Any]] = {}
        self.incident_by_number: dict[str, str] = {}
        self.journal: list[dict[str, Any]] = []
        self.servicenow_field_writes: Counter[str] = Counter()
        self.issues: dict[str, JiraIssue] = {}
        self.fresh: dict[int, FreshTicket] = {}
        self.conversations: dict[int, list[Conversation]] = {}
        self._ids = itertools.count(10001)

    def next_id(self) -> int:
        return next(self._ids)

    def seed(self, tickets: list[dict[str, Any]]) -> None:
        """Create the tickets of a run up front (they would otherwise appear on first sight)."""
        from tools.itsm.freshservice import derived_id, numeric_id

        for ticket in tickets:
            source, ident = ticket.get("source"), str(ticket.get("id") or "")
            if not ident:
                continue
            if source == "servicenow":
                self.incident(ident, ticket.get("subject") or "")
            elif source == "jira":
                self.issue(ident)
            elif source == "freshservice":
                self.fresh_ticket(int(numeric_id(ident) or derived_id(ident)))

    # ServiceNow ---------------------------------------------------------------------------------
    def incident(self, number: str, short_description: str = "") -> dict[str, Any]:
        with self.lock:
            sys_id = self.incident_by_number.get(number)
            if sys_id is None:
                sys_id = hashlib.md5(number.encode()).hexdigest()
                self.incident_by_number[number] = sys_id
                self.incidents[sys_id] = {
                    "sys_id": sys_id,
                    "number": number,
                    "state": "1",
                    "hold_reason": "",
                    "close_code": "",
                    "close_notes": "",
                    "short_description": short_description,
                    "sys_class_name": "incident",
                    "sys_updated_on": now_sn(),
                    "work_notes": "",
                    "comments": "",
                }
            return self.incidents[sys_id]

    def add_journal(self, sys_id: str, element: str, value: str, user: str) -> None:
        with self.lock:
            self.journal.append(
                {
                    "sys_id": hashlib.md5(f"{sys_id}{len(self.journal)}".encode()).hexdigest(),
                    "element": element,
                    "element_id": sys_id,
                    "name": "incident",
                    "value": value,
                    "sys_created_on": now_sn(),
                    "sys_created_by": user,
                }
            )

    # Jira ----------------------------------------------------------------------------------------
    def issue(self, key: str) -> JiraIssue:
        with self.lock:
            if key not in self.issues:
                self.issues[key] = JiraIssue(id=str(self.next_id()), key=key)
            return self.issues[key]

    # Freshservice ----------------------------------------------------------------------------------
    def fresh_ticket(self, ticket_id: int) -> FreshTicket:
        with self.lock:
            if ticket_id not in self.fresh:
                self.fresh[ticket_id] = FreshTicket(id=ticket_id)
                self.conversations[ticket_id] = []
            return self.fresh[ticket_id]

    # What tests and the CLI inspect ---------------------------------------------------------------
    def entry_texts(self) -> dict[tuple[str, str], list[str]]:
        """(platform, ticket) -> the text of every note / comment / journal entry."""
        with self.lock:
            out: dict[tuple[str, str], list[str]] = {}
            for row in self.journal:
                number = self.incidents[row["element_id"]]["number"]
                out.setdefault(("servicenow", number), []).append(row["value"])
            for issue in self.issues.values():
                out.setdefault(("jira", issue.key), []).extend(c.text for c in issue.comments)
            for ticket_id, convs in self.conversations.items():
                out.setdefault(("freshservice", str(ticket_id)), []).extend(c.body_text for c in convs)
            return out

    def marker_counts(self) -> Counter[str]:
        """How many entries carry each helpdesk marker, across all platforms."""
        counts: Counter[str] = Counter()
        for texts in self.entry_texts().values():
            for text in texts:
                counts.update(set(MARKER_RE.findall(text)))
        return counts
