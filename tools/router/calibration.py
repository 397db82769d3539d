"""Confidence calibration and the risk-controlling choice of the auto-route threshold.

Temperature scaling (one parameter, fitted on the calibration split) keeps the class ranking and makes
the top probability honest. The threshold per risk target comes from Learn-then-Test with fixed-sequence
testing: thresholds are tested from strict to lenient, each with a one-sided binomial test of
"false-confidence rate > target", and the most lenient threshold reached before the first failure is
kept. With probability at least 1 - delta the chosen threshold's false-confidence rate on new tickets
from the calibration distribution is at most the target (Angelopoulos et al., 2021, "Learn then Test").
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from scipy.stats import binom

from tools.router.labels import CATEGORIES, OUT_OF_SCOPE

NEVER = math.nextafter(1.0, 2.0)
"""The threshold when no threshold controls the risk: no confidence reaches it, so everything escalates."""
RISK_TARGETS = (0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2)
CANDIDATES = tuple(round(1.0 - i / 200, 3) for i in range(0, 181))  # 1.000, 0.995, ..., 0.100


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of the held-out labels."""

    def nll(log_t: float) -> float:
        return float(-log_softmax(logits / math.exp(log_t), axis=1)[np.arange(len(labels)), labels].mean())

    result = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(math.exp(result.x))


def probabilities(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Calibrated class probabilities (rows sum to 1)."""
    return softmax(logits / temperature, axis=1)


def false_confident(probs: np.ndarray, labels: np.ndarray, threshold: float) -> np.ndarray:
    """Per ticket: auto-routed (in-scope prediction at or above threshold) to a class other than its label."""
    oos = CATEGORIES.index(OUT_OF_SCOPE)
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    auto = (predicted != oos) & (confidence >= threshold)
    return auto & (predicted != labels)


def learn_then_test(
    probs: np.ndarray, labels: np.ndarray, targets: tuple[float, ...] = RISK_TARGETS, delta: float = 0.1
) -> dict[str, float]:
    """risk target -> the most lenient threshold whose false-confidence rate is certified below it."""
    n = len(labels)
    table: dict[str, float] = {}
    for target in targets:
        chosen = NEVER
        for threshold in CANDIDATES:
            errors = int(false_confident(probs, labels, threshold).sum())
            if binom.cdf(errors, n, target) > delta:
                break
            chosen = threshold
        table[f"{target:g}"] = chosen
    return table


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> dict[str, list[float]]:
    """Per confidence bin: mean confidence, accuracy and count (top-class reliability)."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    out: dict[str, list[float]] = {"confidence": [], "accuracy": [], "count": []}
    for b in range(bins):
        mask = index == b
        out["count"].append(int(mask.sum()))
        out["confidence"].append(float(confidence[mask].mean()) if mask.any() else float("nan"))
        out["accuracy"].append(float(correct[mask].mean()) if mask.any() else float("nan"))
    return out


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Count-weighted gap between confidence and accuracy over the bins."""
    table = reliability(probs, labels, bins)
    total = sum(table["count"])
    return float(
        sum(
            c * abs(conf - acc)
            for c, conf, acc in zip(table["count"], table["confidence"], table["accuracy"], strict=True)
            if c
        )
        / max(total, 1)
    )
