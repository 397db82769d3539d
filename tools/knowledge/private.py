"""Private devices, lines and accounts: the equipment an internal IT desk does not support.

The corpus labels a private laptop or a home router by its fault, which is right for a vendor's
customer support and wrong for an internal desk: there a corporate runbook sent for a child's games
console or a private Gmail account is a confident wrong answer. Whether a desk supports private
equipment is its choice (`Context.support_private_devices`); this module only finds the tickets the
choice is about. The phrases are data (`data/knowledge/private_devices.yaml`), in five languages, and
every language's phrases are read whatever the ticket's language (a code-switched ticket still counts).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

PRIVATE_DEVICES_FILE = Path(__file__).resolve().parents[2] / "data" / "knowledge" / "private_devices.yaml"


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
    raw = yaml.safe_load(PRIVATE_DEVICES_FILE.read_text(encoding="utf-8"))

    def compiled(section: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for patterns in raw[section].values() for p in patterns)

    return compiled("private"), compiled("work_link")


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
REQUEST_MIN_WORDS = 5
"""The request is the first line and the first sentence after it with at least this many words (a
greeting such as "Hi there," is skipped)."""


def request(text: str) -> str:
    """Where a ticket states what it is about: its subject (first sentence) and first full sentence.

    A private device named later is mostly a comparison, a workaround or a contact ("works on my
    husband's laptop", "I'm on my old personal laptop for now", "call me on my private mobile")."""
    sentences = [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]
    if not sentences:
        return ""
    first = next((s for s in sentences[1:] if len(s.split()) >= REQUEST_MIN_WORDS), "")
    return f"{sentences[0]}\n{first}"


def private_device(text: str) -> str | None:
    """The phrase that marks the device, line or account the ticket is about as private, or None.

    Only the request is read for the private device (`request`), the whole ticket for a work link
    (company equipment, the company VPN, home office or telework, a work account): with one, it is
    the company's problem, wherever the device is."""
    private, work_link = _patterns()
    about = request(text)
    found = next((m for p in private if (m := p.search(about))), None)
    if found is None or any(p.search(text) for p in work_link):
        return None
    return found.group(0)
