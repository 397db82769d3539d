"""One tokeniser for articles and tickets, so both sides of a BM25 match are cut the same way.

Words are lower-cased, stemmed with the Snowball stemmer of the text's language and with the English
one (IT vocabulary is English in every language: "VPN", "Outlook", "reset"), then accent-folded, so
"contraseña" and "contrasena", or "Drucker" and "druckern", meet. Stop words of all five languages
are dropped because tickets mix languages, and so are the authored ticket filler words of
`data/knowledge/stopwords.yaml` ("problem", "bitte", "ayuda"), which say nothing about the domain.
Multi-word phrases can also be matched as a whole (`phrase_term`, `phrase_query`): "charged twice"
should not fire on every ticket that says "twice". Because those phrases veto, the stems of a
non-English phrase are bound to its language; across languages only its written words meet.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import Stemmer
import yaml
from bm25s import stopwords as bm25s_stopwords

EXTRA_STOPWORDS_FILE = Path(__file__).resolve().parents[2] / "data" / "knowledge" / "stopwords.yaml"
_STEMMER_NAMES = {"en": "english", "de": "german", "es": "spanish", "fr": "french", "pt": "portuguese"}
_WORD = re.compile(r"[^\W_]+(?:[.\-][^\W_]+)*", re.UNICODE)
_SPLIT = re.compile(r"[.\-]")


def fold(text: str) -> str:
    """Lower-case and strip accents (NFKD, combining marks removed); ß becomes ss."""
    text = text.lower().replace("ß", "ss")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(_STEMMER_NAMES.get(language, "english"))


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Stop words of en/de/es/fr/pt plus the authored ticket filler words, folded."""
    lists = [
        bm25s_stopwords.STOPWORDS_EN,
        bm25s_stopwords.STOPWORDS_GERMAN,
        bm25s_stopwords.STOPWORDS_SPANISH,
        bm25s_stopwords.STOPWORDS_FRENCH,
        bm25s_stopwords.STOPWORDS_PORTUGUESE,
    ]
    lists += yaml.safe_load(EXTRA_STOPWORDS_FILE.read_text(encoding="utf-8"))["words"].values()
    return frozenset(fold(w) for words in lists for w in words)


def words(text: str) -> list[str]:
    """Raw word tokens; dotted or hyphenated tokens ("wi-fi", "0x80070005", "10.0.0.1") also yield parts."""
    out: list[str] = []
    for match in _WORD.finditer(text.lower()):
        token = match.group(0)
        out.append(token)
        if _SPLIT.search(token):
            out.extend(part for part in _SPLIT.split(token) if part)
    return out


def analyze(text: str, language: str | None = "en") -> list[str]:
    """Index terms of `text`: for each word its stem in `language` and in English, folded, deduplicated
    per word; stop words and one-letter tokens are dropped."""
    language = language if language in _STEMMER_NAMES else "en"
    own, english = _stemmer(language), _stemmer("en")
    stops = stop_words()
    terms: list[str] = []
    for word in words(text):
        folded = fold(word)
        if len(folded) < 2 or folded in stops:
            continue
        stems = {fold(own.stemWord(word)), fold(english.stemWord(word))}
        terms.extend(sorted(s for s in stems if len(s) >= 2))
    return terms


def content_words(text: str, language: str | None = "en") -> set[str]:
    """The distinct content words of `text`, each once (its stem in `language`): how much a ticket says.

    Unlike `analyze`, a word counts once however many index terms it yields, so "wi-fi" (three terms)
    or "wifi" (two stems) is one word."""
    language = language if language in _STEMMER_NAMES else "en"
    stops, stemmer = stop_words(), _stemmer(language)
    kept = (w for w in _WORD.findall(text.lower()) if len(fold(w)) >= 2 and fold(w) not in stops)
    return {fold(stemmer.stemWord(w)) for w in kept}


PHRASE_JOIN = "_"
"""Joins a phrase's stems into one index term ("fr:debit_deux_fois"); words never contain it."""
MAX_PHRASE_WORDS = 3
PHRASE_WINDOW = 4
"""A phrase matches when its words occur in order within this many consecutive content words, so
"clicked a link" also meets "clicked a phishing link" (stop words are already gone)."""


WRITTEN = "="
"""Marks a term that is a word as written (folded, not stemmed): it meets a text of any language."""


def _phrase_runs(text: str, language: str | None, query: bool, bound: bool = False) -> list[tuple[str, list[str]]]:
    """The text's content words as marked runs for whole-phrase matching.

    English words are IT and business vocabulary in every language, so an English phrase is indexed by
    its English stems and meets any text's, unless it is `bound` (an English word that means something
    else in another language, such as "salary" and French "salarié"). A phrase of another language is
    indexed by stems bound to that language ("es:pag", met only by a text of that language) and by its
    words as written ("=pago", met in every language): a stem cut in one language meets unrelated words
    of another (Spanish "pago" and French "page" share "pag"), the written word only the same word. A
    query offers all of them."""
    language = language if language in _STEMMER_NAMES else "en"
    stops = stop_words()
    kept = [w for w in _WORD.findall(text.lower()) if len(fold(w)) >= 2 and fold(w) not in stops]

    def stems(lang: str) -> list[str]:
        return [fold(_stemmer(lang).stemWord(w)) for w in kept]

    own, written = (f"{language}:", stems(language)), (WRITTEN, [fold(w) for w in kept])
    if not query:
        if language == "en":
            return [own] if bound else [("", stems("en"))]
        return [own, written]
    unbound = [("", stems(lang)) for lang in dict.fromkeys((language, "en"))]
    return [*unbound, own, written]


def bound_words(text: str, language: str | None = "en") -> list[str]:
    """Each content word of `text` by its stem bound to `language` ("en:offic"), dotted or hyphenated
    words also by their parts, as in `analyze`: words met only in a text of that language."""
    mark, stems = _phrase_runs(" ".join(words(text)), language, query=False, bound=True)[0]
    return sorted({mark + stem for stem in stems})


def phrase_term(phrase: str, language: str | None = "en", bound: bool = False) -> list[str]:
    """Index terms of one authored phrase matched as a whole (`_phrase_runs`): a single content word
    stays a word term; two or three become joined phrase terms; longer phrases keep their first three
    content words."""
    runs = _phrase_runs(phrase, language, query=False, bound=bound)
    if len(runs[0][1]) < 2:  # one word: its terms; a hyphenated word only as a whole, never its parts
        return sorted({mark + run[0] for mark, run in runs if run})
    return sorted({mark + PHRASE_JOIN.join(run[:MAX_PHRASE_WORDS]) for mark, run in runs})


def phrase_query(text: str, language: str | None = "en") -> list[str]:
    """The terms `text` offers to phrase-indexed documents: every word (dotted or hyphenated words also
    by their parts, as in `analyze`), and every ordered pair and triple of words within PHRASE_WINDOW
    consecutive ones, so a query meets `phrase_term`."""
    out = {mark + word for mark, run in _phrase_runs(" ".join(words(text)), language, query=True) for word in run}
    for mark, run in _phrase_runs(text, language, query=True):
        for i, first in enumerate(run):
            window = run[i + 1 : i + PHRASE_WINDOW]
            for j, second in enumerate(window):
                out.add(f"{mark}{first}{PHRASE_JOIN}{second}")
                out.update(f"{mark}{first}{PHRASE_JOIN}{second}{PHRASE_JOIN}{third}" for third in window[j + 1 :])
    return sorted(out)
