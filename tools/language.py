"""Language detection with lingua (a maintained library), restricted to languages tickets arrive in."""

from __future__ import annotations

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


@dataclass(frozen=True)
class DetectedLanguage:
    code: str  # ISO 639-1, or "unknown"
    confidence: float


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_CANDIDATES).with_preloaded_language_models().build()


def detect_language(text: str, hint: str | None = None) -> DetectedLanguage:
    """Detect the language of `text`; a caller's `hint` wins when the text is too short to tell."""
    hint = (hint or "").strip().lower()[:2] or None
    letters = sum(ch.isalpha() for ch in text)
    if letters < _MIN_LETTERS:
        return DetectedLanguage(hint, 0.5) if hint in SUPPORTED else DetectedLanguage("unknown", 0.0)
    best = _detector().compute_language_confidence_values(text[:4000])[0]
    code = best.language.iso_code_639_1.name.lower()
    if best.value < _MIN_CONFIDENCE:
        if hint in SUPPORTED:
            return DetectedLanguage(hint, best.value)
        return DetectedLanguage(code if code in SUPPORTED else "unknown", best.value)
    return DetectedLanguage(code, best.value)
