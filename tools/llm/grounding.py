"""Is an LLM-tailored note grounded in its article? Every step must be an article step, every command the article's.

An LLM that tailors a runbook note may shorten, reorder or drop steps; it may not add one.
The checks are conservative (a rejected note only means the untailored draft is sent):
- each step line (numbered or bulleted) that is not a line of the trusted draft must be an article step in
  the ticket's language or in English, shortened at most: most of its text from that step and at most one
  new content word; prose outside the steps and the draft is bounded;
- the draft's article citation and at least one step stay;
- every command-like token anywhere in the note (backtick spans, flags such as `/flushdns` or `--renew`,
  paths, URLs, registry keys, script and installer names) must occur in the article's text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

STEP_MIN_COVERAGE = 0.75
"""Share of a tailored step's text (or words) that must come from one article step."""
MAX_NOVEL_WORDS = 1
"""Content words (over three letters) a tailored step may add to its article step: shortening yes, advice no."""
MAX_NEW_PROSE_CHARS = 400
"""Prose the LLM may add outside the steps and the draft's own lines (the tailored opening)."""

_STEP_LINE = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+(?P<body>\S.*)$")
_BACKTICKS = re.compile(r"`([^`\n]+)`")
_EDGE_PUNCT = "\"'.,;:!?()[]{}<>«»“”„‘’*"
_COMMAND_TOKEN = re.compile(
    r"""^(?:
        --?[a-z][\w-]*                    # -t, --renew
      | /[a-z?][\w-]*(?:[/:][^\s]*)?      # /flushdns, /etc/hosts, /all
      | ~/.*                              # ~/Library/...
      | [^\s]*\\[^\s]*                    # C:\Windows, HKLM\Software
      | [a-z][\w+.-]*://[^\s]*            # URLs
      | [^\s/]+/[^\s/]+/[^\s]*            # relative paths with two or more segments
      | [\w.-]+\.(?:exe|msi|msc|cpl|bat|cmd|ps1|psm1|sh|reg|dll|sys|ini|cfg|conf|plist|dmg|pkg|vbs|py)
      | [\w.-]+=[^\s]+                    # key=value settings
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_WORD = re.compile(r"\w+")


def grounding_problems(note: str, article: Mapping[str, Any], language: str, draft_note: str = "") -> list[str]:
    """Why `note` is not grounded in `article` (an empty list means it is). Never quotes the note."""
    steps = article_steps(article, (language, "en"))
    reference = _normalise_command(" ".join(_strings(article)))
    trusted = {line.strip() for line in draft_note.splitlines() if line.strip()}
    problems: list[str] = []
    article_id = str(article.get("id") or "")
    if article_id and article_id in draft_note and article_id not in note:
        problems.append("the article is no longer cited")
    if _has_steps(draft_note) and not _has_steps(note):
        problems.append("the steps were dropped")
    new_prose = 0
    for line in note.splitlines():
        line = line.strip()
        if not line or line in trusted:
            continue
        match = _STEP_LINE.match(line)
        if match is None:
            new_prose += len(line)
        elif not _is_article_step(match["body"], steps):
            problems.append("a step that is not one of the article's steps")
    if new_prose > MAX_NEW_PROSE_CHARS:
        problems.append(f"more than {MAX_NEW_PROSE_CHARS} characters of prose not in the draft")
    for token in sorted(command_tokens(note)):
        if _normalise_command(token) not in reference:
            problems.append("a command, path or setting that is not in the article")
            break
    return problems


def article_steps(article: Mapping[str, Any], languages: Sequence[str]) -> list[str]:
    """The article's steps in each of `languages`, whatever shape `steps` has.

    Accepted shapes: a list of strings (language-neutral), a list of `{language: text}` dicts, or
    `{language: [texts]}`.
    """
    raw = article.get("steps") or []
    wanted = list(dict.fromkeys(languages))
    if isinstance(raw, Mapping):
        return [s for lang in wanted for s in raw.get(lang) or [] if isinstance(s, str)]
    found: list[str] = []
    for step in raw:
        if isinstance(step, str):
            found.append(step)
        elif isinstance(step, Mapping):
            found.extend(step[lang] for lang in wanted if isinstance(step.get(lang), str))
    return found


def command_tokens(text: str) -> set[str]:
    """Backtick spans and command-like words (flags, paths, URLs, script names, settings) in `text`."""
    tokens = {span.strip() for span in _BACKTICKS.findall(text) if span.strip()}
    for word in _BACKTICKS.sub(" ", text).split():
        word = word.strip(_EDGE_PUNCT)
        if word and _COMMAND_TOKEN.match(word):
            tokens.add(word)
    return tokens


def _has_steps(text: str) -> bool:
    return any(_STEP_LINE.match(line) for line in text.splitlines())


def _is_article_step(step: str, candidates: list[str]) -> bool:
    """True when some article step covers `step`: most of its text, and at most one new content word."""
    text = _normalise_words(step)
    words = text.split()
    for candidate in candidates:
        other = _normalise_words(candidate)
        stems = {_stem(w) for w in other.split()}
        novel = {w for w in words if len(w) > 3 and _stem(w) not in stems}
        if len(novel) > MAX_NOVEL_WORDS:
            continue
        blocks = SequenceMatcher(None, text, other, autojunk=False).get_matching_blocks()
        coverage = sum(b.size for b in blocks) / len(text) if text else 0.0
        known = sum(_stem(w) in stems for w in words) / len(words) if words else 0.0
        if max(coverage, known) >= STEP_MIN_COVERAGE:
            return True
    return False


def _stem(word: str) -> str:
    """A crude, language-neutral stem (the first five letters), so 'restart' matches 'restarting'."""
    return word[:5]


def _normalise_words(text: str) -> str:
    """Case-folded words without accents or markup, so a paraphrase is compared by its words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(plain))


def _normalise_command(text: str) -> str:
    """Case-folded text with backticks removed and whitespace collapsed, for substring checks."""
    return " ".join(text.replace("`", " ").casefold().split())


def _strings(value: Any) -> Iterator[str]:
    """Every string in the article (title, symptoms, diagnostics, steps, escalation, keywords)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
