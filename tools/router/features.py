"""Feature extraction of the router: character and word n-grams, optionally the curated domain lexicon.

Character n-grams carry across languages and spellings (VPN, WLAN, impresora/impressora); word n-grams
carry phrases; the lexicon (data/corpus/lexicon.yaml) adds one count per category of domain stems found,
so a domain word absent from the generated corpus still counts. Everything the model learns from is data.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import yaml
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from tools.router.labels import CATEGORIES

LEXICON_FILE = Path(__file__).resolve().parents[2] / "data" / "corpus" / "lexicon.yaml"
_REDACTED = re.compile(r"\[REDACTED:[^\]]*\]")
_DIGITS = re.compile(r"\d")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_SHORT_TERM = 4
"""Stems up to this length must match a whole word ("lan" must not match "language")."""


def fold(text: str) -> str:
    """Lower case without accents: the form every feature sees, so 'Teléfono' and 'telefono' agree."""
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.lower()))


def normalise(text: str) -> str:
    """Drop masked secrets (their kind says nothing about the category) and collapse digits."""
    return _DIGITS.sub("0", fold(_REDACTED.sub(" ", text)))


def normalise_all(texts: list[str]) -> list[str]:
    """`normalise` over a batch: the pipeline's first step, so each text is normalised once."""
    return [normalise(t) for t in texts]


def load_lexicon(path: Path = LEXICON_FILE) -> dict[str, list[str]]:
    """The curated stems per category, folded like the text they are matched against."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {category: sorted({fold(str(term)) for term in raw.get(category, [])}) for category in CATEGORIES}


def _pattern(terms: list[str]) -> re.Pattern[str]:
    parts = [
        re.escape(t) + (r"\b" if len(t) <= _SHORT_TERM else r"[\w'-]*") for t in sorted(terms, key=len, reverse=True)
    ]
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + ")")


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """log(1 + number of distinct lexicon stems found) per category: four dense columns."""

    def __init__(self, lexicon: dict[str, list[str]] | None = None) -> None:
        self.lexicon = lexicon

    def fit(self, X: list[str], y: object = None) -> LexiconFeatures:
        """Compile the patterns once; nothing is learnt from the data here."""
        self.patterns_ = [_pattern((self.lexicon or {}).get(c, [])) for c in CATEGORIES]
        return self

    def matches(self, text: str) -> list[list[str]]:
        """The words of a normalised text matched per category, in category order."""
        return [sorted(set(p.findall(text))) for p in self.patterns_]

    def transform(self, X: list[str]) -> sparse.csr_matrix:
        rows = [[len(m) for m in self.matches(text)] for text in X]
        return sparse.csr_matrix(np.log1p(np.asarray(rows, dtype=np.float64)))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray([f"lexicon:{c}" for c in CATEGORIES], dtype=object)


def build_features(params: dict[str, object]) -> Pipeline:
    """Normalise once, then the feature union, with the given hyper-parameters (recorded in the manifest)."""
    char = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=tuple(params["char_ngram_range"]),  # type: ignore[arg-type]
        min_df=params["char_min_df"],  # type: ignore[arg-type]
        max_features=params["char_max_features"],  # type: ignore[arg-type]
        sublinear_tf=True,
        lowercase=False,
        dtype=np.float32,
    )
    word = TfidfVectorizer(
        analyzer="word",
        ngram_range=tuple(params["word_ngram_range"]),  # type: ignore[arg-type]
        min_df=params["word_min_df"],  # type: ignore[arg-type]
        max_features=params["word_max_features"],  # type: ignore[arg-type]
        sublinear_tf=True,
        lowercase=False,
        token_pattern=r"(?u)\b\w[\w'-]*\w\b|\b\w\w\b",
        dtype=np.float32,
    )
    blocks: list[tuple[str, object]] = [("char", char), ("word", word)]
    weights = {"char": 1.0, "word": 1.0}
    if params["lexicon_weight"]:  # 0 leaves the lexicon out (measured: it over-weights technical words)
        blocks.append(("lexicon", LexiconFeatures(load_lexicon())))
        weights["lexicon"] = float(params["lexicon_weight"])  # type: ignore[arg-type]
    union = FeatureUnion(blocks, transformer_weights=weights)
    return Pipeline([("normalise", FunctionTransformer(normalise_all)), ("union", union)])
