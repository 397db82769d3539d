"""Text overlap with the measuring set, for the tests that prove nothing was copied from it."""

from __future__ import annotations

import re
from pathlib import Path

SHARED_EVAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "eval" / "multilang-tickets.jsonl"
"""The external measuring set beside the clone (present in CI and dev, absent for users)."""


def shingles(text: str, n: int = 8) -> set[tuple[str, ...]]:
    """Every run of `n` consecutive words, lower-cased: a shared run means copied text."""
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}
