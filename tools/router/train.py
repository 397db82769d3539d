"""Reproducible training of the embedded router: corpus -> features -> logistic regression ->
temperature calibration -> risk-controlled threshold table -> artifact, manifest, reliability diagram.

Same corpus files, parameters and library versions give the same model: every random choice is seeded
and the manifest records hashes of all inputs, so a reviewer can tell which data made a given artifact.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

from tools.router import calibration
from tools.router.cc0 import REVIEW_FILE, SUBSET_FILE
from tools.router.cc0 import weight as cc0_weight
from tools.router.corpus import GENERATED_FILE, TEMPLATES_DIR, read_jsonl, ticket_text
from tools.router.features import LEXICON_FILE, build_features
from tools.router.labels import CATEGORIES, OUT_OF_SCOPE

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifact"
ARTIFACT_NAME = "router.joblib"
MANIFEST_NAME = "manifest.json"
DIAGRAM_NAME = "reliability.png"
MODEL_NAME = "local:tfidf-logreg"
DEFAULT_RISK_TARGET = 0.05


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
    lexicon_weight: float = 1.0
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


def _input_hashes(generated: Path, cc0: Path | None) -> dict[str, str]:
    files = [generated, LEXICON_FILE, REVIEW_FILE, *sorted(TEMPLATES_DIR.glob("*.yaml"))]
    if cc0 is not None:
        files.append(cc0)
    return {str(p.relative_to(p.parents[2])): _sha256(p) for p in files}


def _drop_pruned_vocabulary(features: Any) -> None:
    """`stop_words_` only documents pruned n-grams and can be huge; sklearn documents it as removable."""
    for _, transformer in features.named_steps["union"].transformer_list:
        if hasattr(transformer, "stop_words_"):
            del transformer.stop_words_


def _rows(generated: Path, cc0: Path | None) -> dict[str, list[dict[str, Any]]]:
    rows = read_jsonl(generated)
    split = {s: [r for r in rows if r["split"] == s] for s in ("train", "calibration", "test")}
    if cc0 is not None and cc0.exists():
        split["train"] = split["train"] + read_jsonl(cc0)
    return split


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


def fit_model(train_rows: list[dict[str, Any]], params: TrainParams) -> tuple[Any, LogisticRegression]:
    """Features and classifier fitted on the training rows (CC0 rows weighted down)."""
    features = build_features(asdict(params))
    x = features.fit_transform([ticket_text(r) for r in train_rows])
    y = np.asarray([CATEGORIES.index(r["label"]) for r in train_rows])
    weights = np.asarray([cc0_weight() if r.get("source") == "cc0" else 1.0 for r in train_rows])
    classifier = LogisticRegression(
        C=params.C, max_iter=params.max_iter, class_weight="balanced", random_state=params.seed
    )
    classifier.fit(x, y, sample_weight=weights)
    classifier.coef_ = classifier.coef_.astype(np.float32)
    _drop_pruned_vocabulary(features)
    return features, classifier


def train(
    params: TrainParams | None = None,
    out_dir: Path = ARTIFACT_DIR,
    generated: Path = GENERATED_FILE,
    cc0: Path | None = SUBSET_FILE,
) -> TrainResult:
    """Train, calibrate, choose thresholds, and write artifact + manifest + reliability diagram."""
    params = params or TrainParams()
    cc0 = cc0 if params.use_cc0 else None
    rows = _rows(generated, cc0)
    features, classifier = fit_model(rows["train"], params)

    def logits(split: str) -> np.ndarray:
        return classifier.decision_function(features.transform([ticket_text(r) for r in rows[split]]))

    def labels(split: str) -> np.ndarray:
        return np.asarray([CATEGORIES.index(r["label"]) for r in rows[split]])

    cal_logits = logits("calibration")
    temperature = calibration.fit_temperature(cal_logits, labels("calibration"))
    cal_probs = calibration.probabilities(cal_logits, temperature)
    test_probs = calibration.probabilities(logits("test"), temperature)
    thresholds = calibration.learn_then_test(cal_probs, labels("calibration"), params.risk_targets, params.delta)
    default_threshold = thresholds[f"{DEFAULT_RISK_TARGET:g}"]

    inputs = _input_hashes(generated, cc0)
    fingerprint = hashlib.sha256(
        json.dumps({"inputs": inputs, "params": asdict(params)}, sort_keys=True).encode()
    ).hexdigest()[:12]
    manifest: dict[str, Any] = {
        "model": MODEL_NAME,
        "model_version": f"tfidf-logreg-{fingerprint}",
        "categories": list(CATEGORIES),
        "params": asdict(params),
        "inputs_sha256": inputs,
        "rows": {split: len(r) for split, r in rows.items()},
        "temperature": temperature,
        "thresholds": thresholds,
        "threshold_selection": {
            "method": "Learn-then-Test, fixed-sequence binomial tests on the calibration split",
            "delta": params.delta,
            "loss": "auto-routed (in-scope prediction, confidence >= threshold) to a class other than its label",
        },
        "calibration": {
            "ece_calibration": calibration.expected_calibration_error(cal_probs, labels("calibration")),
            "ece_test": calibration.expected_calibration_error(test_probs, labels("test")),
        },
        "test_metrics_at_default_risk": {"risk_target": DEFAULT_RISK_TARGET, "threshold": default_threshold}
        | _evaluate(test_probs, rows["test"], default_threshold),
        "versions": {
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
            "joblib": joblib.__version__,
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
    }
    artifact = out_dir / ARTIFACT_NAME
    joblib.dump(bundle, artifact, compress=3)
    manifest["artifact_sha256"] = _sha256(artifact)
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
    plot_reliability(
        {
            "calibration split": calibration.reliability(cal_probs, labels("calibration")),
            "test split": calibration.reliability(test_probs, labels("test")),
        },
        out_dir / DIAGRAM_NAME,
        f"Router reliability (T={temperature:.2f}, {manifest['model_version']})",
    )
    return TrainResult(artifact, manifest)
