"""Does the best runbook fit the ticket? A small learned gate over the retrieval evidence.

A specialist resolves by sending a runbook. The old rule (BM25 confidence >= 0.35) resolved with a
runbook that a reviewer found fitting only about half the time: a word shared with an unrelated
runbook ("site", "sync", "update") was enough. The gate is a logistic regression over the evidence
`retrieve` already computes (semantic similarity, lexical share, their margins over the runner-up,
the BM25 match and domain confidence, and how many terms the ticket holds: "VPN geht nicht." is close
to every VPN runbook and fits none), trained on the team's labels of which runbooks fit written
tickets (`data/knowledge/runbook-fit-labels.jsonl`). Its output is the probability that the chosen
runbook fits; the resolve threshold is chosen for a stated precision on cross-validated predictions,
so `Context.runbook_precision_target` is a promise about notes, not a magic number.

`helpdesk train-fit` rebuilds `data/knowledge/runbook-fit.json` deterministically; a test checks the
committed file is what the labels give.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from tools.knowledge.articles import DOMAINS, load_knowledge
from tools.knowledge.retrieval import Match, retrieve
from tools.router.corpus import read_jsonl, ticket_text
from tools.router.written import WRITTEN_DIR, read_written

KNOWLEDGE_DIR = Path(__file__).resolve().parents[2] / "data" / "knowledge"
LABELS_FILE = KNOWLEDGE_DIR / "runbook-fit-labels.jsonl"
MODEL_FILE = KNOWLEDGE_DIR / "runbook-fit.json"
FEATURES = (
    "similarity",
    "lexical_share",
    "ranking",
    "ranking_margin",
    "similarity_margin",
    "match_confidence",
    "confidence",
    "ticket_terms",
    "ticket_brevity",
)
PRECISION_TARGETS = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
MIN_SELECTED = 20
"""A threshold must keep at least this many labeled tickets, or its precision says little."""
UNCERTIFIED = 1.01
"""A threshold no fit probability (at most 1.0) reaches: the gate fails closed for a precision target
its labels cannot certify, so the promise is kept by resolving nothing rather than broken quietly."""
FOLDS = 5
C = 1.0
SEED = 0


def features(match: Match) -> list[float]:
    """The gate's input for the best-ranked runbook of a match (all zeros when nothing matched)."""
    if not match.hits:
        return [0.0] * len(FEATURES)
    best = match.hits[0]
    runner_up = match.hits[1].ranking if len(match.hits) > 1 else 0.0
    return [
        best.similarity,
        best.lexical_share,
        best.ranking,
        best.ranking - runner_up,
        match.similarity_margin,
        match.match_confidence,
        match.confidence,
        math.log1p(match.ticket_terms),
        1.0 / (1.0 + match.ticket_terms),  # steep for the one- to four-word tickets that rarely fit
    ]


@dataclass(frozen=True)
class RunbookFit:
    """The fitted gate: coefficients over `FEATURES` and the threshold for each precision target."""

    coefficients: tuple[float, ...]
    intercept: float
    thresholds: dict[str, float]
    min_ticket_terms: int = 0

    def probability(self, match: Match) -> float:
        """Probability that the match's best-ranked runbook fits the ticket: 0.0 when nothing matched, or
        when the ticket is shorter than `min_ticket_terms` (too vague: the specialist asks instead)."""
        if not match.hits or match.ticket_terms < self.min_ticket_terms:
            return 0.0
        z = self.intercept + sum(c * x for c, x in zip(self.coefficients, features(match), strict=True))
        return round(1.0 / (1.0 + math.exp(-z)), 4)

    def threshold_for(self, precision_target: float) -> float:
        """The lowest threshold whose cross-validated precision meets the target; `UNCERTIFIED` (no
        runbook resolves) when the labels certify no threshold for a target that strict."""
        met = [t for target, t in self.thresholds.items() if float(target) >= precision_target - 1e-9]
        return min(met) if met else UNCERTIFIED


@lru_cache(maxsize=1)
def load_fit(path: Path = MODEL_FILE) -> RunbookFit:
    data = json.loads(path.read_text(encoding="utf-8"))
    return RunbookFit(
        tuple(data["coefficients"]), float(data["intercept"]), dict(data["thresholds"]), data["min_ticket_terms"]
    )


def read_labels(path: Path = LABELS_FILE, written: Path = WRITTEN_DIR) -> list[dict[str, Any]]:
    """Labeled tickets with their text and category: a label row either carries its ticket (the short
    portal and chat tickets written for the gate) or names a ticket of the written corpus.
    `runbook_source` marks the tickets runbooks were written from (see `certifies`)."""
    tickets = {row["id"]: row for row in read_written(written)}
    return [
        {
            **(label if "description" in label else tickets[label["id"]]),
            "fits": label["articles"],
            "runbook_source": bool(label.get("runbook_source")),
        }
        for label in read_jsonl(path)
    ]


def certifies(row: dict[str, Any], first_ranked: str | None) -> bool:
    """Whether a labeled ticket is evidence for the gate. A runbook fits the tickets it was written from
    (`runbook_source`) by construction, which says nothing about new tickets: a source ticket whose
    first-ranked runbook is one of its fits is left out (counting it as a misfit instead made the gate
    stricter than its target). Ranked to a runbook that does not fit it, a source ticket is a true
    negative, like any other, and stays."""
    return not (row.get("runbook_source") and first_ranked in row["fits"])


def labeled_examples(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features of each ticket's best runbook in its own domain, whether a reviewer said it fits, and
    whether the ticket certifies the gate (`certifies`)."""
    from tools.screening import mask

    x, y, kept = [], [], []
    for row in rows:
        text = mask(ticket_text(row).strip())
        match = retrieve(row["label"], text, row["language"])
        first = match.hits[0].article.id if match.hits else None
        x.append(features(match))
        y.append(first is not None and first in row["fits"])
        kept.append(certifies(row, first))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=bool), np.asarray(kept, dtype=bool)


def precision_thresholds(probabilities: np.ndarray, fits: np.ndarray) -> tuple[dict[str, float], dict[str, Any]]:
    """Per target, the lowest threshold from which every stricter threshold keeps the precision target."""
    grid = np.round(np.arange(0.05, 1.0, 0.01), 2)
    precision = {}
    for t in grid:
        selected = probabilities >= t
        if selected.sum() >= MIN_SELECTED:
            precision[float(t)] = (float(fits[selected].mean()), int(selected.sum()))
    thresholds: dict[str, float] = {}
    achieved: dict[str, Any] = {}
    for target in PRECISION_TARGETS:
        ok = [t for t in precision if all(p >= target for u, (p, _) in precision.items() if u >= t)]
        if ok:
            t = min(ok)
            thresholds[f"{target:g}"] = t
            achieved[f"{target:g}"] = {"precision": round(precision[t][0], 4), "selected": precision[t][1]}
    return thresholds, achieved


def shortest_fitting(terms: np.ndarray, fits: np.ndarray) -> tuple[int, float]:
    """Where tickets start to fit: a one-split tree on the term count, and the labeled fit rate below it.

    A linear gate cannot see that "VPN geht nicht." sits close to every VPN runbook and fits none; the
    labels can: one- to four-term tickets rarely fit. No split, or one that does not separate a rarer
    fit rate below it, gives 0 (every ticket goes to the linear gate)."""
    from sklearn.tree import DecisionTreeClassifier

    stump = DecisionTreeClassifier(max_depth=1, random_state=SEED).fit(terms.reshape(-1, 1), fits)
    if stump.tree_.node_count < 3:
        return 0, float(fits.mean())
    cut = math.ceil(stump.tree_.threshold[0])
    below, above = fits[terms < cut], fits[terms >= cut]
    return (cut, float(below.mean())) if below.mean() < above.mean() else (0, float(fits.mean()))


def train_fit(labels: Path = LABELS_FILE, out: Path = MODEL_FILE) -> dict[str, Any]:
    """Fit the gate on the labels, choose thresholds on cross-validated predictions, write the model."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from tools.router import encoder

    rows = read_labels(labels)
    x, y, kept = labeled_examples(rows)
    x, y = x[kept], y[kept]
    terms = np.round(np.expm1(x[:, FEATURES.index("ticket_terms")]))
    min_terms, fit_rate_below = shortest_fitting(terms, y)
    gated = terms >= min_terms
    model = LogisticRegression(C=C, max_iter=5000)
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    held_out = np.zeros(len(y))
    held_out[gated] = cross_val_predict(model, x[gated], y[gated], cv=folds, method="predict_proba")[:, 1]
    thresholds, achieved = precision_thresholds(held_out, y)
    model.fit(x[gated], y[gated])
    result = {
        "features": list(FEATURES),
        "coefficients": [round(float(c), 6) for c in model.coef_[0]],
        "intercept": round(float(model.intercept_[0]), 6),
        "thresholds": thresholds,
        "min_ticket_terms": min_terms,
        "fit_rate_below_min_terms": round(fit_rate_below, 4),
        "cross_validated": achieved,
        "labeled_tickets": len(rows),
        "runbook_source_tickets": sum(1 for row in rows if row["runbook_source"]),
        "runbook_source_left_out": int((~kept).sum()),
        "fitting_first_choice": int(y.sum()),
        "params": {"C": C, "folds": FOLDS, "seed": SEED, "min_selected": MIN_SELECTED},
        "labels_sha256": hashlib.sha256(labels.read_bytes()).hexdigest(),
        "knowledge_versions": {d: load_knowledge(d).version for d in DOMAINS},
        "encoder": encoder.version(),
    }
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    load_fit.cache_clear()
    return result
