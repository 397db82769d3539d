"""The write-back marker: `[helpdesk:<ticket>:<action>:<hash8>]`, the only idempotency key we have.

None of the three platforms offers idempotency keys, so every write carries a marker derived from
what is written (ticket, action and the normalised body), never from the run: a re-run, a retry or a
resume after review computes the same marker and finds the earlier write instead of adding a second.
The marker is plain visible text so it survives the journal / ADF / HTML round-trips.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_SPACE = re.compile(r"\s+")
MARKER_RE = re.compile(r"\[helpdesk:[A-Za-z0-9._-]+:[a-z_]+:[0-9a-f]{8}\]")


def normalise(body: str) -> str:
    """NFC, whitespace collapsed, trimmed: cosmetic differences do not change the marker."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", body)).strip()


def safe_ticket_id(ticket_id: str) -> str:
    """The ticket id with anything outside [A-Za-z0-9._-] replaced, so the marker stays one token."""
    return _UNSAFE.sub("_", ticket_id)[:80] or "_"


def make_marker(ticket_id: str, action: str, content: str) -> str:
    digest = hashlib.sha256(f"{action}\n{normalise(content)}".encode()).hexdigest()[:8]
    return f"[helpdesk:{safe_ticket_id(ticket_id)}:{action}:{digest}]"


def count_marker(texts: list[str], marker: str) -> int:
    """How many entries carry the marker (entries, not occurrences: one note is one write)."""
    return sum(1 for text in texts if marker in text)


def defang(marker: str) -> str:
    """A reference to a marker that does not itself count as the marker (for retraction notes)."""
    return marker.strip("[]")
