"""The embedded router at run time: load the committed artifact, predict with calibrated confidence,
name the evidence, and pick the auto-route threshold for a risk target.

Loading checks the scikit-learn version the artifact was trained with; on a mismatch (pickles are not
portable across sklearn releases) the router is retrained deterministically from the committed corpus
into a cache directory, so an upgrade never silently runs a model sklearn cannot vouch for.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import pickle
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, Literal

import numpy as np
import sklearn
import yaml
from scipy import sparse

from tools.router import encoder
from tools.router.calibration import NEVER, probabilities
from tools.router.features import normalise
from tools.router.labels import CATEGORIES
from tools.router.train import ARTIFACT_DIR, ARTIFACT_NAME, MANIFEST_NAME, MODEL_NAME

log = logging.getLogger(__name__)
Category = Literal["network", "software_cloud", "hardware", "out_of_scope"]
_TOKEN = re.compile(r"\w[\w'-]*")
_REDACTED = re.compile(r"\[REDACTED:[^\]]*\]")
_TOP_FEATURES = 40
_EVIDENCE_WORDS = 6
_MIN_EVIDENCE_LENGTH = 3
FUNCTION_WORDS_FILE = Path(__file__).resolve().parents[2] / "data" / "corpus" / "function-words.yaml"


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    raw = yaml.safe_load(FUNCTION_WORDS_FILE.read_text(encoding="utf-8")) or {}
    return frozenset(str(w) for words in raw.values() for w in words)


@dataclass(frozen=True)
class RouterPrediction:
    """One routing decision of the embedded model."""

    category: Category
    confidence: float  # calibrated probability of `category`
    probabilities: dict[str, float]
    evidence: list[str] = field(default_factory=list)  # words of the text that drove the decision
    runner_up: str = "out_of_scope"
    model: str = MODEL_NAME
    model_version: str = ""


class Router:
    """Fitted n-gram features and sentence embedding + logistic regression, with its temperature and
    threshold table."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.features = bundle["features"]
        self.classifier = bundle["classifier"]
        self.temperature = float(bundle["temperature"])
        self.thresholds = {float(k): float(v) for k, v in bundle["thresholds"].items()}
        self.model_version = str(bundle["model_version"])
        self.embedding_weight = float(bundle.get("embedding_weight", 0.0))
        self.embedding: encoder.Kind = bundle.get("embedding", "full")
        if self.embedding_weight:
            encoder.warm(self.embedding)
        coef = np.asarray(self.classifier.coef_, dtype=np.float64)
        self._contrast = coef - coef.mean(axis=0, keepdims=True)
        union = self.features.named_steps["union"]
        self._names = np.asarray(union.get_feature_names_out(), dtype=object)
        self._lexicon = dict(union.transformer_list).get("lexicon")
        self._blocks = [
            _TfidfBlock(vectorizer, float((union.transformer_weights or {}).get(name, 1.0)))
            for name, vectorizer in union.transformer_list
            if name != "lexicon"
        ]
        self._lexicon_weight = float((union.transformer_weights or {}).get("lexicon", 1.0))
        self._intercept = np.asarray(self.classifier.intercept_, dtype=np.float64)
        self._coef = coef

    def threshold_for(self, risk_target: float) -> float:
        """The auto-route threshold certified for the largest tabulated target not above `risk_target`."""
        allowed = [t for t in self.thresholds if t <= risk_target + 1e-12]
        return self.thresholds[max(allowed)] if allowed else NEVER

    def predict(self, text: str, language: str | None = None) -> RouterPrediction:
        """Classify subject + newline + description (secrets masked); never raises on odd input."""
        text = text if isinstance(text, str) else ("" if text is None else str(text))
        x = self.vectorise(text)
        logits = np.asarray(x @ self._coef.T).reshape(1, -1) + self._intercept
        probs = probabilities(logits, self.temperature)[0]
        order = np.argsort(-probs)
        best = int(order[0])
        return RouterPrediction(
            category=CATEGORIES[best],  # type: ignore[arg-type]
            confidence=float(probs[best]),
            probabilities={c: float(p) for c, p in zip(CATEGORIES, probs, strict=True)},
            evidence=self._evidence(text, x, best),
            runner_up=CATEGORIES[int(order[1])],
            model=MODEL_NAME,
            model_version=self.model_version,
        )

    def vectorise(self, text: str) -> sparse.csr_matrix:
        """The fitted pipeline's features for one text, without sklearn's per-call validation overhead
        (the batch `features.transform` gives the same matrix; a test holds them equal)."""
        norm = normalise(text)
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        offset = 0
        for block in self._blocks:
            idx, val = block.transform(norm)
            indices.append(idx + offset)
            values.append(val)
            offset += block.size
        if self._lexicon is not None:
            counts = np.asarray([len(m) for m in self._lexicon.matches(norm)], dtype=np.float64)
            present = np.flatnonzero(counts)
            indices.append(present + offset)
            values.append(np.log1p(counts[present]) * self._lexicon_weight)
            offset += len(counts)
        if self.embedding_weight:
            indices.append(np.arange(offset, offset + encoder.DIMENSIONS))
            values.append(encoder.embed([text], self.embedding)[0].astype(np.float64) * self.embedding_weight)
            offset += encoder.DIMENSIONS
        idx, val = np.concatenate(indices), np.concatenate(values)
        return sparse.csr_matrix((val, idx, np.asarray([0, len(idx)])), shape=(1, offset))

    def _evidence(self, text: str, x: Any, cls: int) -> list[str]:
        """The words of the text whose n-grams and lexicon stems pushed most towards the chosen class."""
        row = x.tocsr()
        words = row.indices < len(self._names)  # the embedding block names no words: it is not evidence
        indices = row.indices[words]
        contributions = row.data[words] * self._contrast[cls, indices]
        top = np.argsort(-contributions)[:_TOP_FEATURES]
        surface: dict[str, str] = {}
        skip = _function_words()
        for token in _TOKEN.findall(_REDACTED.sub(" ", text)):
            folded = _normalised_word(token)
            if len(folded) >= _MIN_EVIDENCE_LENGTH and folded not in skip and folded.strip("0"):
                surface.setdefault(folded, token)
        tokens = list(surface)
        score: dict[str, float] = defaultdict(float)
        for i in top:
            weight = float(contributions[i])
            if weight <= 0:
                break
            for token in self._tokens_for(str(self._names[indices[i]]), tokens, text):
                score[token] += weight
        ranked = sorted(score, key=lambda t: (-score[t], t))
        return [surface[t] for t in ranked[:_EVIDENCE_WORDS]]

    def _tokens_for(self, name: str, tokens: list[str], text: str) -> list[str]:
        block, _, feature = name.partition("__")
        if block == "char":
            core = feature.strip()
            if len(core) < 2:
                return []
            starts, ends = feature.startswith(" "), feature.endswith(" ")
            return [
                t for t in tokens if core in t and (not starts or t.startswith(core)) and (not ends or t.endswith(core))
            ]
        if block == "word":
            parts = set(feature.split())
            return [t for t in tokens if t in parts]
        if block == "lexicon" and self._lexicon is not None:
            matched = self._lexicon.matches(normalise(text))[CATEGORIES.index(feature.split(":", 1)[1])]
            return [t for t in tokens if any(t.startswith(m) or m.startswith(t) for m in matched if " " not in m)]
        return []


_WORD_CACHE = 1 << 16
"""Distinct words remembered per cache (n-gram indices per block, normalised forms for evidence);
bounded, since input is arbitrary."""


@lru_cache(maxsize=_WORD_CACHE)
def _normalised_word(token: str) -> str:
    """`normalise` of one word, remembered: evidence maps every word of the ticket to its feature form."""
    return normalise(token)


class _TfidfBlock:
    """One fitted TfidfVectorizer applied to a single, already normalised text."""

    def __init__(self, vectorizer: Any, weight: float) -> None:
        self.analyse = vectorizer.build_analyzer()
        self.per_word = vectorizer.analyzer == "char_wb"
        if self.per_word:
            # `char_wb` n-grams never cross a word boundary, so a text's n-grams are its words' n-grams
            # concatenated: analyse each distinct word once (with sklearn's own analyser) and remember it.
            self._word_indices = lru_cache(maxsize=_WORD_CACHE)(self._indices)
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.sublinear = bool(vectorizer.sublinear_tf)
        self.norm = vectorizer.norm
        self.weight = weight
        self.size = len(self.idf)

    def _indices(self, text: str) -> tuple[int, ...]:
        return tuple(i for term in self.analyse(text) if (i := self.vocabulary.get(term)) is not None)

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Sorted feature indices of the text and their tf-idf values (the vectorizer's own formula)."""
        found = chain.from_iterable(map(self._word_indices, text.split())) if self.per_word else self._indices(text)
        idx, tf = np.unique(np.fromiter(found, dtype=np.int64), return_counts=True)
        if not idx.size:
            return idx, np.zeros(0)
        values = (np.log(tf) + 1.0 if self.sublinear else tf.astype(np.float64)) * self.idf[idx]
        if self.norm == "l2":
            values /= np.sqrt(np.dot(values, values))
        return idx, values * self.weight


def _read_manifest(directory: Path) -> dict[str, Any]:
    return json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))


def _compatible(directory: Path) -> bool:
    try:
        same_sklearn = _read_manifest(directory)["versions"]["sklearn"] == sklearn.__version__
    except (OSError, ValueError, KeyError):
        return False
    return same_sklearn and (directory / ARTIFACT_NAME).is_file()


def read_bundle(path: Path) -> dict[str, Any]:
    """The trained bundle (features, classifier, temperature, thresholds) from a router artifact."""
    return pickle.loads(gzip.decompress(path.read_bytes()))


def _retrained_dir() -> Path:
    """Where a version-mismatched artifact is rebuilt (one directory per sklearn version)."""
    base = Path(os.environ.get("HELPDESK_ROUTER_CACHE", Path.home() / ".cache" / "helpdesk" / "router"))
    return base / f"sklearn-{sklearn.__version__}"


@lru_cache(maxsize=4)
def _load(directory: Path) -> Router:
    if not _compatible(directory):
        rebuilt = _retrained_dir()
        if not _compatible(rebuilt):
            from tools.router.train import TrainParams, train

            log.warning(
                "router artifact in %s was not trained with sklearn %s: retraining into %s",
                directory,
                sklearn.__version__,
                rebuilt,
            )
            params = TrainParams(
                **{k: tuple(v) if isinstance(v, list) else v for k, v in _read_manifest(directory)["params"].items()}
            )
            train(params, out_dir=rebuilt)
        directory = rebuilt
    return Router(read_bundle(directory / ARTIFACT_NAME))


def load_router(path: str | Path | None = None) -> Router:
    """The router (cached per artifact directory); `path` or HELPDESK_ROUTER_PATH overrides the default."""
    chosen = Path(path or os.environ.get("HELPDESK_ROUTER_PATH") or ARTIFACT_DIR)
    if chosen.is_file():
        chosen = chosen.parent
    return _load(chosen.resolve())
