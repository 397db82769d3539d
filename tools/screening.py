"""Screening of ticket text: prompt-injection patterns, secrets, personal data and security incidents.

Patterns are data (`data/screening.json`), not code, so security can extend them without a release.
Findings carry the kind and the span, never the matched value. `mask` replaces every secret and
personal-data span so that nothing downstream (router, specialists, LLM, traces, notes) sees it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from graph.state import Finding

PATTERNS_FILE = Path(__file__).resolve().parent.parent / "data" / "screening.json"
FINDING_GROUPS = ("injection", "secrets", "pii", "security")
"""The screening's finding lists, as named in `Screening` and in the patterns file."""


@dataclass(frozen=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    group: int


@dataclass(frozen=True)
class Patterns:
    injection: tuple[_Pattern, ...]
    secrets: tuple[_Pattern, ...]
    pii: tuple[_Pattern, ...]
    security: tuple[_Pattern, ...]


@lru_cache(maxsize=1)
def patterns() -> Patterns:
    """Load and compile the screening patterns once."""
    raw = json.loads(PATTERNS_FILE.read_text(encoding="utf-8"))

    def compile_all(section: str) -> tuple[_Pattern, ...]:
        return tuple(
            _Pattern(p["kind"], re.compile(p["regex"], re.IGNORECASE | re.MULTILINE), p.get("group", 0))
            for p in raw[section]
        )

    return Patterns(compile_all("injection"), compile_all("secrets"), compile_all("pii"), compile_all("security"))


def _luhn_ok(digits: str) -> bool:
    """Card numbers must pass the Luhn check, so order numbers are not taken for cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _find(text: str, group: tuple[_Pattern, ...]) -> list[Finding]:
    found: list[Finding] = []
    for p in group:
        for m in p.regex.finditer(text):
            start, end = m.span(p.group)
            if start == end:
                continue
            if p.kind == "card_number" and not _luhn_ok(re.sub(r"\D", "", m.group(p.group))):
                continue
            found.append({"kind": p.kind, "start": start, "end": end})
    return _merge(found)


def _merge(found: list[Finding]) -> list[Finding]:
    """Drop findings contained in an earlier, wider one (two patterns on the same secret)."""
    found.sort(key=lambda f: (f["start"], -f["end"]))
    merged: list[Finding] = []
    for f in found:
        if merged and f["start"] >= merged[-1]["start"] and f["end"] <= merged[-1]["end"]:
            continue
        merged.append(f)
    return merged


def find_injection(text: str) -> list[Finding]:
    return _find(text, patterns().injection)


def find_secrets(text: str) -> list[Finding]:
    return _find(text, patterns().secrets)


def find_pii(text: str) -> list[Finding]:
    return _find(text, patterns().pii)


def find_security(text: str) -> list[Finding]:
    """Reports of a security incident: phishing, malware, a compromised account, a lost or stolen device."""
    return _find(text, patterns().security)


def mask(text: str, findings: list[Finding] | None = None) -> str:
    """Replace secret and personal-data spans with `[REDACTED:<kind>]`."""
    if findings is None:
        findings = _merge(find_secrets(text) + find_pii(text))
    out, pos = [], 0
    for f in sorted(findings, key=lambda f: f["start"]):
        if f["start"] < pos:
            continue
        out.append(text[pos : f["start"]])
        out.append(f"[REDACTED:{f['kind']}]")
        pos = f["end"]
    out.append(text[pos:])
    return "".join(out)


def redact(text: str) -> str:
    """Mask secrets and personal data in any text about to leave the process (notes, traces)."""
    return mask(text)
