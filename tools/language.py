"""Language detection with lingua (a maintained library), restricted to languages tickets arrive in.

A ticket is answered in its requester's language, and requesters paste text in other languages: a
forwarded English notice, a log, a configuration block, an instruction someone sent them. So the
language is read from the requester's own prose (`requester_prose`): the text before the first
forwarded or quoted message, without quoted lines, code blocks and log lines. Each remaining paragraph
votes with its letters, and its sentences overrule the paragraphs when they give another language a
clear majority (a requester who switches language mid-paragraph).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

SUPPORTED = ("en", "de", "es", "fr", "pt")
"""Languages the agents write notes in; others are escalated to a person."""

_CANDIDATES = (
    Language.ENGLISH,
    Language.GERMAN,
    Language.SPANISH,
    Language.FRENCH,
    Language.PORTUGUESE,
    Language.ITALIAN,
    Language.DUTCH,
    Language.POLISH,
    Language.RUSSIAN,
    Language.TURKISH,
    Language.CHINESE,
    Language.JAPANESE,
    Language.KOREAN,
    Language.ARABIC,
    Language.SWEDISH,
)
_MIN_LETTERS = 12
"""Below this many letters a guess is noise ("VPN", emoji): the language stays unknown."""
_MIN_CONFIDENCE = 0.35
_MAX_PARAGRAPHS = 12
"""Paragraphs that vote (each is one lingua call): the opening of a long ticket says who is writing."""
_MIN_SENTENCE_LETTERS = 20
"""A shorter sentence ("Danke.", "Hi team,") joins its neighbour: alone it says too little to vote."""
_SENTENCE_MAJORITY = 0.75
"""Share of the letters the sentences must give one language to overrule the paragraphs. Lower (0.67)
also fixed more code-switched mixtures but misread a lower-case French chat line full of English IT
words; at 0.75 no ticket of our corpora, probes or suite is misread that was read right before."""
_MAX_SENTENCES = 8
"""Sentences that vote (each is one lingua call, ~0.5 ms): enough to see who writes most of the opening."""
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")

_FORWARD_MARKER = re.compile(
    r"^\s*(-{2,}|_{5,}|={5,})?\s*(forwarded message|original message|weitergeleitete nachricht|"
    r"urspr(ü|ue)ngliche nachricht|mensaje (reenviado|original)|message (transf(é|e)r(é|e)|d'origine)|"
    r"mensagem (encaminhada|original))\b.*$"
    r"|^\s*(on|am|le|el|em)\b.{3,120}\b(wrote|schrieb|a (é|e)crit|escribi(ó|o)|escreveu)\s*:\s*$",
    re.IGNORECASE,
)
"""The line where someone else's message starts: what follows is theirs, not the requester's."""
_HEADER_LINE = re.compile(
    r"^\s*(from|von|de|da|sent|gesendet|enviado|envoy(é|e)|date|datum|fecha|data|to|an|para|(à|a)|"
    r"subject|betreff|asunto|objet|assunto)\s*:\s*\S",
    re.IGNORECASE,
)
"""A mail header line; two of them within three lines start a quoted message."""
_LOG_LINE = re.compile(
    r"^\s*(\[?\d{4}-\d{2}-\d{2}|\[?\d{1,2}:\d{2}:\d{2}|[\[(](trace|debug|info|warn|warning|error|fatal)[\])]"
    r"|(trace|debug|info|warn|warning|error|fatal):|##\["
    r"|at\s+[\w.$<>]+\(|traceback\b|file \"|caused by:|exception\b|[\w.]+(exception|error):)",
    re.IGNORECASE,
)
"""A pasted log or stack-trace line."""
_STYLED_LETTERS = re.compile("[\uff01-\uff5e\U0001d400-\U0001d7ff]")
"""Fullwidth and mathematical letters, read as the plain letters they show (only these: NFKC would also
turn "3º andar" into "3o andar")."""
_CODE_TOKEN = re.compile(r"[=;{}<>\\/|$#@_]|\w\.\w")
"""A token of code, configuration or a path rather than of a sentence."""
_QUOTED_LINE = re.compile(r"^\s*(>|«|»|\"|“|„)")
_QUOTED_SPAN = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|„[^“”\n]*[“”]|«[^»\n]*»")
"""An error message or UI text quoted inside a sentence: often in another language than the sentence."""


@dataclass(frozen=True)
class DetectedLanguage:
    code: str  # ISO 639-1, or "unknown"
    confidence: float


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_CANDIDATES).with_preloaded_language_models().build()


def _best_language(text: str) -> tuple[str, float]:
    """Lingua's most likely language of `text` (ISO 639-1) and its confidence."""
    best = _detector().compute_language_confidence_values(text[:4000])[0]
    return best.language.iso_code_639_1.name.lower(), best.value


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def requester_prose(text: str) -> list[str]:
    """The paragraphs the requester wrote (split at blank lines and at every line left out): the text
    before the first forwarded or quoted message, without quoted lines, code blocks, log lines and lines
    that are mostly not letters (paths, URLs)."""
    lines = (unicodedata.normalize("NFKC", text) if _STYLED_LETTERS.search(text) else text).splitlines()
    paragraphs: list[str] = []
    current: list[str] = []
    in_code = False
    for number, line in enumerate(lines):
        if _FORWARD_MARKER.match(line) or (
            _HEADER_LINE.match(line) and any(_HEADER_LINE.match(nxt) for nxt in lines[number + 1 : number + 3])
        ):
            break
        if line.strip().startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if (
            in_code
            or not line.strip()
            or _QUOTED_LINE.match(line)
            or _LOG_LINE.match(line)
            or _letters(line) < 0.5 * len(line.strip())
            or _is_code(line)
        ):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(_without_quotes(line, keep=0.5 * _letters(line)).strip())
    if current:
        paragraphs.append(" ".join(current))
    return [p for p in paragraphs if p]


def _sentence_majority(paragraphs: list[str], paragraph_code: str) -> DetectedLanguage | None:
    """Another language, if the sentences give it a clear majority of the letters.

    Read whole, one German sentence with its umlauts outweighs three English ones ("... prints a
    config page locally. Wir brauchen ihn dringend für die Verträge heute."): people switch language
    mid-paragraph, and the note belongs in the language they wrote most of it in."""
    sentences = [
        _without_quotes(s, keep=_MIN_SENTENCE_LETTERS) for paragraph in paragraphs for s in _sentences(paragraph)
    ][:_MAX_SENTENCES]
    if len(sentences) < 2:
        return None
    votes: Counter[str] = Counter()
    for sentence in sentences:
        votes[_best_language(sentence)[0]] += _letters(sentence)
    code, letters = votes.most_common(1)[0]
    share = letters / sum(votes.values())
    if code != paragraph_code and code in SUPPORTED and share >= _SENTENCE_MAJORITY:
        return DetectedLanguage(code, share)
    return None


def _sentences(paragraph: str) -> list[str]:
    """The paragraph's sentences, split outside quoted text, each long enough to vote."""
    quoted = [m.span() for m in _QUOTED_SPAN.finditer(paragraph)]
    parts: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(paragraph):
        if not any(a <= end.start() < b for a, b in quoted):
            parts.append(paragraph[start : end.start()])
            start = end.end()
    parts.append(paragraph[start:])
    sentences: list[str] = []
    pending = ""
    for part in parts:
        pending = f"{pending} {part}".strip()
        if _letters(pending) >= _MIN_SENTENCE_LETTERS:
            sentences.append(pending)
            pending = ""
    if pending and sentences:
        sentences[-1] = f"{sentences[-1]} {pending}"
    elif pending:
        sentences.append(pending)
    return sentences


def _is_code(line: str) -> bool:
    """Mostly code, configuration or paths: at least 40 % of its tokens look like code."""
    tokens = line.split()
    return bool(tokens) and sum(bool(_CODE_TOKEN.search(t)) for t in tokens) >= 0.4 * len(tokens)


def _without_quotes(text: str, keep: float) -> str:
    """The text without its quoted spans, unless fewer than `keep` letters would be left (then the
    quotes are all there is to read)."""
    rest = _QUOTED_SPAN.sub(" ", text)
    return rest if _letters(rest) >= keep else text


def detect_language(text: str, hint: str | None = None) -> DetectedLanguage:
    """Detect the requester's language; a caller's `hint` wins when the text is too short to tell.

    Each prose paragraph votes for its language with its letter count, so a forwarded notice, a log or
    an instruction pasted in another language does not decide; the sentences overrule the paragraphs
    only with a clear majority (`_sentence_majority`); with no prose, the whole text is read."""
    hint = (hint or "").strip().lower()[:2] or None
    prose = [(p, n) for p in requester_prose(text) if (n := _letters(p)) >= _MIN_LETTERS]
    if not prose and (n := _letters(text)) >= _MIN_LETTERS:
        prose = [(text, n)]
    if not prose:
        return DetectedLanguage(hint, 0.5) if hint in SUPPORTED else DetectedLanguage("unknown", 0.0)
    votes: Counter[str] = Counter()
    confidence: dict[str, float] = {}
    for paragraph, letters in prose[:_MAX_PARAGRAPHS]:
        code, value = _best_language(paragraph)
        votes[code] += letters
        confidence[code] = max(confidence.get(code, 0.0), value)
    code = votes.most_common(1)[0][0]
    value = confidence[code] * votes[code] / sum(votes.values())
    if switched := _sentence_majority([paragraph for paragraph, _ in prose[:_MAX_PARAGRAPHS]], code):
        return switched
    if value < _MIN_CONFIDENCE:
        if hint in SUPPORTED:
            return DetectedLanguage(hint, value)
        return DetectedLanguage(code if code in SUPPORTED else "unknown", value)
    return DetectedLanguage(code, value)
