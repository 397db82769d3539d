"""Entity extraction from ticket text: devices, applications, error codes, hosts, IPs, OS, timing.

The lexicons and patterns are data (`data/knowledge/entities.yaml`). Matching runs on accent-folded,
lower-cased text, so "Fehlermeldung" and "Pantalla" need one entry each. Hosts come from URLs, UNC
paths and dotted names (file names excluded); IPs are checked with `ipaddress`, not by regex alone.
The specialists read `facts()` to decide whether they can resolve or must ask.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from tools.knowledge.analyzer import fold

ENTITIES_FILE = Path(__file__).resolve().parents[2] / "data" / "knowledge" / "entities.yaml"

_URL = re.compile(r"\bhttps?://[^\s<>\"')\]]+", re.IGNORECASE)
_UNC = re.compile(r"\\\\([A-Za-z0-9][\w.-]*)\\[\w$.-]+")
_FQDN = re.compile(r"(?<![\w@.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![\w@-])", re.IGNORECASE)
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.]*\d)")
_IPV6 = re.compile(r"(?<![\w:])([0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})(?![\w:])", re.IGNORECASE)


@dataclass(frozen=True)
class Entities:
    """What the ticket names. Values come from the masked ticket text only."""

    devices: tuple[str, ...] = ()
    applications: tuple[str, ...] = ()
    error_codes: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    os: tuple[str, ...] = ()
    error_text: bool = False  # a quoted message or "error message: ..." was given
    since: bool = False  # the ticket says since when (or after what) it happens
    location: bool = False  # the ticket says where: a floor, a room, a building or a named site
    named_application: bool = False  # an application named in the ticket's words ("the room-booking app")

    def facts(self) -> set[str]:
        """The article facts (see `tools.knowledge.articles.Fact`) this ticket already provides, and
        `location`, which no article requires but which answers a specialist's generic host question."""
        present = {
            "os": bool(self.os),
            "error": bool(self.error_codes) or self.error_text,
            "since": self.since,
            "device": bool(self.devices),
            "application": bool(self.applications) or self.named_application,
            "host": bool(self.hosts or self.ips),
            "location": self.location,
        }
        return {fact for fact, ok in present.items() if ok}

    def it_devices(self) -> tuple[str, ...]:
        """The devices named that are IT devices on their own, not parts any appliance has (a screen)."""
        parts = lexicon().device_parts
        return tuple(d for d in self.devices if d not in parts)

    def summary(self) -> str:
        """A short, human-readable list of what was recognised ("os=Windows 11; error=0x80070005")."""
        parts = [
            f"{label}={', '.join(values)}"
            for label, values in (
                ("device", self.devices),
                ("application", self.applications),
                ("error", self.error_codes),
                ("host", self.hosts),
                ("ip", self.ips),
                ("os", self.os),
            )
            if values
        ]
        return "; ".join(parts) or "none"


@dataclass(frozen=True)
class _Lexicon:
    os: tuple[tuple[str, re.Pattern[str]], ...]
    applications: tuple[tuple[str, re.Pattern[str]], ...]
    devices: tuple[tuple[str, re.Pattern[str]], ...]
    error_codes: tuple[re.Pattern[str], ...]
    error_text: tuple[re.Pattern[str], ...]
    since: tuple[re.Pattern[str], ...]
    location: tuple[re.Pattern[str], ...]
    named_application: tuple[re.Pattern[str], ...]
    file_extensions: frozenset[str]
    device_parts: frozenset[str]


def _alias_pattern(aliases: list[str]) -> re.Pattern[str]:
    alternatives = sorted({re.escape(fold(a)) for a in aliases}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])")


@lru_cache(maxsize=1)
def lexicon() -> _Lexicon:
    """Load and compile the entity lexicons once."""
    raw = yaml.safe_load(ENTITIES_FILE.read_text(encoding="utf-8"))
    if unknown := set(raw["device_parts"]) - set(raw["devices"]):
        raise ValueError(f"{ENTITIES_FILE.name}: device_parts names no device: {sorted(unknown)}")
    return _Lexicon(
        os=tuple((o["name"], re.compile(o["pattern"])) for o in raw["os"]),
        applications=tuple((name, _alias_pattern(a)) for name, a in raw["applications"].items()),
        devices=tuple((name, _alias_pattern(a)) for name, a in raw["devices"].items()),
        error_codes=tuple(re.compile(p) for p in raw["error_codes"]),
        error_text=tuple(re.compile(p) for p in raw["error_text"]),
        since=tuple(re.compile(p) for p in raw["since"]),
        location=tuple(re.compile(p) for p in raw["location"]),
        named_application=tuple(re.compile(p) for p in raw["named_application"]),
        file_extensions=frozenset(raw["file_extensions"]),
        device_parts=frozenset(raw["device_parts"]),
    )


def _names(folded: str, table: tuple[tuple[str, re.Pattern[str]], ...]) -> tuple[str, ...]:
    return tuple(name for name, pattern in table if pattern.search(folded))


def _error_codes(text: str, folded: str) -> tuple[str, ...]:
    """Codes as written in the ticket (case kept), found by the folded patterns."""
    found: list[str] = []
    for pattern in lexicon().error_codes:
        for m in pattern.finditer(folded):
            start, end = m.span(1) if m.lastindex else m.span()
            code = text[start:end] if len(text) == len(folded) else m.group(m.lastindex or 0)
            found.append(code.strip())
    return tuple(dict.fromkeys(c for c in found if c))


def _hosts(text: str) -> tuple[str, ...]:
    hosts: list[str] = []
    for m in _URL.finditer(text):
        hostname = urlsplit(m.group(0)).hostname
        if hostname:
            hosts.append(hostname)
    hosts += [m.group(1) for m in _UNC.finditer(text)]
    extensions = lexicon().file_extensions
    for m in _FQDN.finditer(text):
        name = m.group(1).rstrip(".")
        if name.rsplit(".", 1)[-1].lower() not in extensions and not _is_ipv4(name):
            hosts.append(name)
    return tuple(dict.fromkeys(h.lower() for h in hosts))


def _is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def _ips(text: str) -> tuple[str, ...]:
    found: list[str] = []
    for pattern in (_IPV4, _IPV6):
        for m in pattern.finditer(text):
            try:
                found.append(str(ipaddress.ip_address(m.group(1))))
            except ValueError:
                continue
    return tuple(dict.fromkeys(found))


def extract_entities(text: str) -> Entities:
    """Everything `text` names that a runbook may need. Never raises on odd input."""
    if not isinstance(text, str) or not text.strip():
        return Entities()
    folded = fold(text)
    lex = lexicon()
    return Entities(
        devices=_names(folded, lex.devices),
        applications=_names(folded, lex.applications),
        error_codes=_error_codes(text, folded),
        hosts=_hosts(text),
        ips=_ips(text),
        os=_names(folded, lex.os),
        error_text=any(p.search(text.lower()) or p.search(folded) for p in lex.error_text),
        since=any(p.search(folded) for p in lex.since),
        location=any(p.search(folded) for p in lex.location),
        named_application=any(p.search(folded) for p in lex.named_application),
    )
