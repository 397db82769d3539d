"""Kill-and-resume: a process writing back is killed with SIGKILL mid-run, then the same tickets are run
again against the same sandbox; no ticket gets a second note."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tools.itsm.sandbox import start_sandbox_in_process

ROOT = Path(__file__).resolve().parent.parent
TICKETS = 45
WORKER = f"""
import sys
from tools.itsm import PlannedWrite, execute_writeback
for i in range({TICKETS}):
    source = ("servicenow", "jira", "freshservice")[i % 3]
    ticket = {{"id": f"KILL-{{i}}" if source != "freshservice" else str(880000 + i), "source": source}}
    writes = [PlannedWrite("internal_note", body=f"Checked ticket {{i}}: cache cleared."),
              PlannedWrite("set_status", status="in_progress")]
    result = execute_writeback(ticket, writes, agent="June", mode="sandbox", ticket_text="")
    print(i, result["status"], flush=True)
"""


def _worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )


def test_sigkill_mid_run_then_resume_writes_no_second_note(tmp_path: Path) -> None:
    with start_sandbox_in_process(faults=0.15, seed=5, timeout_s=0.1, slow_s=0.05) as sandbox:
        env = {
            **os.environ,
            **sandbox.env,
            "HELPDESK_ITSM_BACKOFF_S": "0.01",
            "HELPDESK_ITSM_SETTLE_S": "0.3",  # outlasts a hung request (lands at 0.15 s), loaded runner too
            "HELPDESK_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
        }
        victim = _worker(env)
        deadline = time.monotonic() + 30
        while len(sandbox.store.marker_counts()) < TICKETS // 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        assert victim.returncode == -signal.SIGKILL
        notes_at_kill = len(sandbox.store.marker_counts())
        assert 0 < notes_at_kill < TICKETS, "the kill must land mid-run"

        resumed = _worker(env)
        out, _ = resumed.communicate(timeout=120)
        assert resumed.returncode == 0
        counts = sandbox.store.marker_counts()
        texts = sandbox.store.entry_texts()

    assert len(out.splitlines()) == TICKETS
    assert all(line.split()[1] in {"confirmed", "flagged"} for line in out.splitlines())
    assert max(counts.values()) == 1, {m: c for m, c in counts.items() if c > 1}
    notes_per_ticket = [sum("internal_note" in t for t in entries) for entries in texts.values()]
    assert len(notes_per_ticket) == TICKETS and max(notes_per_ticket) == 1
