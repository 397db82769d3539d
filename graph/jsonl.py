"""Reading ticket files: one JSON object per line, every bad line reported, none fatal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Line:
    """One input line: its 1-based number and either the parsed object or why it is not a ticket."""

    number: int
    value: dict[str, Any] | None
    error: str | None


def read_lines(path: Path) -> Iterator[Line]:
    """Yield every line of a JSONL file; a trailing newline does not make an extra line."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            yield parse_line(number, raw)


def parse_line(number: int, raw: bytes) -> Line:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Line(number, None, f"line is not valid UTF-8 (byte {exc.start})")
    text = text.strip().lstrip("\ufeff")
    if not text:
        return Line(number, None, "empty line: expected a JSON object")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Line(number, None, f"not valid JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return Line(number, None, "not valid JSON: nested too deeply")
    if not isinstance(value, dict):
        return Line(number, None, f"expected a JSON object, got {type(value).__name__}")
    return Line(number, value, None)


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)
