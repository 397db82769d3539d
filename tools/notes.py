"""The specialists' notes: rendered in the ticket's language from templates, validated before they leave.

Templates live in `data/notes/<lang>.yaml` (en, de, es, fr, pt); any other language falls back to
English. `validate_note` is the gate every note passes (here and again at write-back): it reports
problems instead of raising, and never quotes the offending secret in the problem text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from tools.knowledge.analyzer import fold
from tools.knowledge.articles import LANGUAGES, Article
from tools.screening import find_injection, find_pii, find_secrets

NOTES_DIR = Path(__file__).resolve().parent.parent / "data" / "notes"

ITSM_NOTE_LIMITS: dict[str, int] = {
    # ServiceNow: work_notes / comments are journal_input fields whose dictionary max_length is 4,000
    # characters on the base `task` table (ServiceNow KB0685779 explains that the database column can
    # hold more; the dictionary value is what forms and integrations are held to). Kept as the bound.
    "servicenow": 4_000,
    # Jira Cloud / JSM: text fields and comment bodies are limited to 32,767 characters
    # (jira.text.field.character.limit; the platform OpenAPI in ../shared/itsm/specs states "The maximum
    # length is 32767 characters" for text-area values). See ../shared/itsm/CONTRACTS.md §2.
    "jira": 32_767,
    # Freshservice v2 notes/replies: no body limit is documented (CONTRACTS.md §3.4, FS-DOC, Swagger);
    # UNCONFIRMED, so the Jira bound is used as a conservative cap.
    "freshservice": 32_767,
}
"""Longest note body (characters) each ITSM accepts, with the source of each figure."""

DEFAULT_NOTE_LIMIT = min(ITSM_NOTE_LIMITS.values())

_PLACEHOLDERS = (
    re.compile(r"\{\{[^{}\n]*\}\}"),  # {{x}}, Jinja/mustache
    re.compile(r"\{\s*[A-Za-z_][\w.]*\s*\}|\{\d+\}"),  # {x}, {0}: str.format leftovers
    re.compile(r"<[A-Z][A-Z0-9_ -]{2,}>"),  # <PLACEHOLDER>, <HOSTNAME>
    re.compile(r"<your[ _-][^<>\n]{1,40}>", re.IGNORECASE),  # <your server>
    re.compile(r"\[\s*(?:TODO|TBD|FIXME|PLACEHOLDER|INSERT[^\]\n]*)\s*\]", re.IGNORECASE),  # [TODO]
    re.compile(r"\$\{?[A-Z][A-Z0-9_]{2,}\}?"),  # $VAR, ${VAR}
    re.compile(r"%\(\w+\)[sd]"),  # %(name)s
    re.compile(r"\[REDACTED:[a-z_]+\]"),  # a masked ticket value copied into the note
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_MIN_ECHO_WORDS = 6
_MIN_SECRET_TOKEN = 6


@lru_cache(maxsize=len(LANGUAGES))
def templates(language: str) -> dict[str, Any]:
    """The note templates of `language` (English when there are none for it)."""
    lang = language if language in LANGUAGES else "en"
    return yaml.safe_load((NOTES_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))


def note_language(language: str | None) -> str:
    """The language a note is written in: the ticket's when supported, else English."""
    return language if language in LANGUAGES else "en"


def numbered(steps: Iterable[str]) -> list[str]:
    return [f"{i}. {step}" for i, step in enumerate(steps, 1)]


def render_note(
    article: Article,
    language: str | None,
    *,
    agent: str,
    domain: str,
    version: str,
    recognised: Iterable[str] = (),
) -> str:
    """The resolution note: greeting, what matched, the article's steps numbered, closing, citation."""
    lang = note_language(language)
    t = templates(lang)
    values = {
        "article_id": article.id,
        "title": article.title_in(lang),
        "version": version,
        "agent": agent,
        "team": t["teams"][domain],
    }
    lines = [t["greeting"], t["intro"].format(**values)]
    seen = [r for r in dict.fromkeys(recognised) if r]
    if seen:
        lines.append(t["recognised"].format(entities=", ".join(seen)))
    lines += ["", t["steps_heading"], *numbered(article.steps_in(lang)), "", t["closing"]]
    lines += [t["citation"].format(**values), "", t["signature"].format(**values)]
    return "\n".join(lines)


def render_question(
    needs_info: list[str], language: str | None, *, agent: str = "", domain: str = "software_cloud"
) -> str:
    """Ask the requester for exactly the missing facts, numbered, in the ticket's language."""
    t = templates(note_language(language))
    asked = [t["facts"].get(fact, fact) for fact in needs_info]
    lines = [t["greeting"], t["question_intro"], *numbered(asked), "", t["question_closing"]]
    if agent:
        lines += ["", t["signature"].format(agent=agent, team=t["teams"][domain])]
    return "\n".join(lines)


def render_hand_back(
    reason: str,
    language: str | None,
    *,
    agent: str,
    domain: str,
    confidence: float,
    other_domain: str | None = None,
) -> str:
    """One line saying why the specialist hands the ticket back (`reason`: low_match | other_domain | no_text)."""
    t = templates(note_language(language))
    teams = t["teams"]
    return t["hand_back"][reason].format(
        agent=agent,
        team=teams[domain],
        other_team=teams.get(other_domain or "", other_domain or ""),
        confidence=f"{confidence:.2f}",
    )


def _normalise(text: str) -> str:
    return " ".join(fold(text).split())


def _injected_sentences(ticket_text: str) -> list[str]:
    """Sentences of the ticket (of at least six words) that contain an injection finding."""
    findings = find_injection(ticket_text)
    out = []
    for m in _SENTENCE.finditer(ticket_text):
        hit = any(f["start"] < m.end() and f["end"] > m.start() for f in findings)
        if hit and len(m.group(0).split()) >= _MIN_ECHO_WORDS:
            out.append(_normalise(m.group(0).strip(" .!?")))
    return out


def _secret_tokens(ticket_text: str) -> set[str]:
    """Every token of at least six characters inside a secret span of the ticket."""
    tokens: set[str] = set()
    for f in find_secrets(ticket_text):
        value = ticket_text[f["start"] : f["end"]]
        tokens.update(t for t in re.split(r"\s+", value) if len(t) >= _MIN_SECRET_TOKEN)
        tokens.update(t for t in re.split(r"[\W_]+", value) if len(t) >= _MIN_SECRET_TOKEN)
    return tokens


def validate_note(body: str, *, ticket_text: str, max_len: int = DEFAULT_NOTE_LIMIT) -> list[str]:
    """Problems that stop `body` from being posted; an empty list means the note may go out."""
    if not isinstance(body, str) or not body.strip():
        return ["the note is empty"]
    ticket_text = ticket_text if isinstance(ticket_text, str) else ""
    problems: list[str] = []
    if len(body) > max_len:
        problems.append(f"the note is {len(body)} characters long, over the limit of {max_len}")
    leftovers = sorted({m.group(0)[:40] for p in _PLACEHOLDERS for m in p.finditer(body)})
    if leftovers:
        problems.append(f"unresolved placeholders: {', '.join(leftovers)}")
    secrets = sorted({f["kind"] for f in find_secrets(body)})
    if secrets:
        problems.append(f"the note contains secrets ({', '.join(secrets)})")
    pii = sorted({f["kind"] for f in find_pii(body)})
    if pii:
        problems.append(f"the note contains personal data ({', '.join(pii)})")
    if any(token in body for token in _secret_tokens(ticket_text)):
        problems.append("the note repeats a secret from the ticket")
    injection = sorted({f["kind"] for f in find_injection(body)})
    if injection:
        problems.append(f"the note contains instruction-like text ({', '.join(injection)})")
    normal_body = _normalise(body)
    if any(sentence in normal_body for sentence in _injected_sentences(ticket_text)):
        problems.append("the note repeats an injected instruction from the ticket")
    return problems


def ungrounded_commands(body: str, article: Article) -> list[str]:
    """Inline commands (`...`) in `body` that appear in none of the article's steps: invented ones."""
    known = {c for step in article.steps for text in step.values() for c in re.findall(r"`([^`]+)`", text)}
    return [c for c in dict.fromkeys(re.findall(r"`([^`]+)`", body)) if c not in known]
