"""Screening of ticket text: prompt-injection patterns, secrets, personal data and security incidents.

Patterns are data (`data/screening.json`), not code, so security can extend them without a release.
They read a *screening view* of the text, so disguised writing does not slip past them: invisible
format characters (zero-width spaces, soft hyphens, bidi controls) are dropped, compatibility forms
(fullwidth or mathematical letters) read as plain letters, a word hyphenated at a line break reads as
the whole word, and a line break inside a paragraph (hard-wrapped mail) reads as a space. A word
mixing Latin with Cyrillic or Greek letters (homoglyph spoofing, Unicode TR39's mixed-script check) is
itself an injection finding. Findings carry the kind and the span in the original text, never the
matched value. `mask` replaces every secret and personal-data span so that nothing downstream
(router, specialists, LLM, traces, notes) sees it.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from array import array
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


@dataclass(frozen=True)
class _View:
    """The text the patterns read, and for each of its characters the original span it came from."""

    text: str
    starts: array[int] | None = None  # None: the view is the original text
    ends: array[int] | None = None

    def original(self, start: int, end: int) -> tuple[int, int]:
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


_WRAPPED_LINE = re.compile(r"(\S[ \t\r]*)\n(?=[ \t]*\S)")
_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])-[ \t\r]*\n[ \t]*(?=[^\W\d_])")
"""A word hyphenated at a line break ("igno-\\nra"): read as the whole word."""
_WORD = re.compile(r"\w+")
_SPOOF_SCRIPTS = frozenset({"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"})
"""Scripts whose letters pass for Latin ones (Unicode TR39 confusables)."""
_TAG_OFFSET = 0xE0000
_TAG_TEXT = re.compile("[\U000e0020-\U000e007e]{7,}")
"""Unicode tag characters spelling out text: invisible ASCII smuggled into a ticket (a flag emoji uses 5)."""


@lru_cache(maxsize=1)
def _invisible() -> re.Pattern[str]:
    """Every format character (category Cf): zero-width spaces, soft hyphens, bidi controls, tags."""
    found = [c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    ranges = []  # consecutive code points as one range: a short class is a fast search
    for c in found:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return re.compile("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges) + "]")


@lru_cache(maxsize=8)
def _view(text: str) -> _View:
    """The screening view of `text` (see the module docstring). Tag characters read as the ASCII they
    encode; when characters are dropped or expanded, every view character maps back to its span."""
    hyphen_breaks = {i for m in _HYPHEN_BREAK.finditer(text) for i in range(*m.span())} if "-" in text else set()
    if not hyphen_breaks and (
        text.isascii() or (unicodedata.is_normalized("NFKC", text) and not _invisible().search(text))
    ):
        return _View(_unwrapped(text))
    chars: list[str] = []
    starts, ends = array("l"), array("l")  # compact: a 100,000-character ticket maps 200,000 offsets
    i = 0
    while i < len(text):
        if i in hyphen_breaks:
            i += 1
            continue
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            j += 1
        code = ord(text[i])
        if 0xE0020 <= code <= 0xE007E:
            read = chr(code - _TAG_OFFSET)
        else:
            read = "" if unicodedata.category(text[i]) == "Cf" else unicodedata.normalize("NFKC", text[i:j])
        for ch in read:
            chars.append(ch)
            starts.append(i)
            ends.append(j)
        i = j
    return _View(_unwrapped("".join(chars)), starts, ends)


def _unwrapped(text: str) -> str:
    """A line break between two non-blank lines read as a space (same length: spans stay put)."""
    return _WRAPPED_LINE.sub(r"\1 ", text) if "\n" in text else text


def _script(ch: str) -> str:
    return unicodedata.name(ch, "").partition(" ")[0]


def _mixed_script_words(view: _View) -> list[Finding]:
    """Words that mix Latin letters with look-alike letters of another script ("іgnore" with a Cyrillic і)."""
    found: list[Finding] = []
    if view.text.isascii():
        return found
    for m in _WORD.finditer(view.text):
        word = m.group()
        if word.isascii():
            continue
        scripts = {_script(ch) for ch in word if ch.isalpha()}
        if "LATIN" in scripts and scripts & _SPOOF_SCRIPTS:
            start, end = view.original(*m.span())
            found.append({"kind": "mixed_script", "start": start, "end": end})
    return found


def _hidden_text(text: str) -> list[Finding]:
    return [{"kind": "hidden_text", "start": m.start(), "end": m.end()} for m in _TAG_TEXT.finditer(text)]


def _find(text: str, group: tuple[_Pattern, ...]) -> list[Finding]:
    view = _view(text)
    found: list[Finding] = []
    for p in group:
        for m in p.regex.finditer(view.text):
            start, end = m.span(p.group)
            if start == end:
                continue
            if p.kind == "card_number" and not _luhn_ok(re.sub(r"\D", "", m.group(p.group))):
                continue
            start, end = view.original(start, end)
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
    """Instructions aimed at the system, words disguised with look-alike letters of another script, and
    text hidden in invisible tag characters."""
    return _merge(_find(text, patterns().injection) + _mixed_script_words(_view(text)) + _hidden_text(text))


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
