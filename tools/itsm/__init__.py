"""ITSM write-back: ServiceNow, Jira / JSM and Freshservice clients, the exactly-once executor, the sandboxes.

The graph's interface is `PlannedWrite` + `execute_writeback` (and `retract_writeback` for compensation);
audit records go to the sink set with `set_audit_sink`. The sandboxes (Starlette + uvicorn) are imported
only when asked for, so importing this package stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tools.itsm.audit import AuditRecord, AuditSink, JsonlAuditSink, MemoryAuditSink, get_audit_sink, set_audit_sink
from tools.itsm.executor import execute_writeback, retract_writeback
from tools.itsm.marker import make_marker
from tools.itsm.models import PlannedWrite
from tools.itsm.settings import ItsmSettings

if TYPE_CHECKING:
    from tools.itsm.sandbox import SandboxHandle, sandbox_for_run, start_sandbox_in_process

__all__ = [
    "AuditRecord",
    "AuditSink",
    "ItsmSettings",
    "JsonlAuditSink",
    "MemoryAuditSink",
    "PlannedWrite",
    "SandboxHandle",
    "execute_writeback",
    "get_audit_sink",
    "make_marker",
    "retract_writeback",
    "sandbox_for_run",
    "set_audit_sink",
    "start_sandbox_in_process",
]

_SANDBOX_NAMES = {"SandboxHandle", "sandbox_for_run", "start_sandbox_in_process"}


def __getattr__(name: str) -> Any:
    if name in _SANDBOX_NAMES:
        from tools.itsm import sandbox

        return getattr(sandbox, name)
    raise AttributeError(f"module 'tools.itsm' has no attribute {name!r}")
