"""The write-back vocabulary shared by the executor, the clients and the validation layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tools.itsm.http import Request

Action = Literal["internal_note", "public_reply", "set_status"]
TargetStatus = Literal["in_progress", "pending_info", "resolved"]
Mode = Literal["dry_run", "sandbox", "live"]


@dataclass(frozen=True)
class PlannedWrite:
    """One write the graph wants: a note, a reply, or a status change (the graph's interface)."""

    action: Action
    body: str | None = None
    status: TargetStatus | None = None


@dataclass(frozen=True)
class WriteSpec:
    """A planned write mapped onto one platform: field, marker and the exact request (pure, no I/O).

    `content` is what a person reads (the body without the marker, or the target status); `text` is the
    body as written, marker included. `request` is None only when the request needs a lookup first
    (a Jira transition id); `target` is the platform's status value or name for status changes.
    """

    action: str
    field: str
    marker: str
    content: str
    text: str
    request: Request | None
    target: str | None = None
    max_len: int | None = None
