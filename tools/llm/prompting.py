"""Prompt texts (kept as files beside this module, so they are reviewed as text) and ticket framing."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
MAX_TICKET_CHARS = 6000
"""Longest ticket text sent to an LLM: the opening of a ticket carries the request; the cap bounds cost."""

_MARKERS = {"<<<": "< < <", ">>>": "> > >"}


@cache
def prompt(name: str) -> str:
    """The prompt `prompts/<name>.md`, read once."""
    return (PROMPTS_DIR / f"{name}.md").read_text(encoding="utf-8").strip()


def framed_ticket(text: str) -> str:
    """The (already masked) ticket between markers the ticket itself cannot close or forge."""
    for marker, neutral in _MARKERS.items():
        text = text.replace(marker, neutral)
    if len(text) > MAX_TICKET_CHARS:
        text = text[:MAX_TICKET_CHARS] + " [truncated]"
    return f"<<<TICKET\n{text}\nTICKET>>>"
