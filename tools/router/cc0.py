"""A reviewed subset of the CC0 "IT Service Ticket Classification" corpus, relabeled to our policy.

The source is lower-cased and stop-word-stripped real helpdesk text with topic labels that do not
match ours; the relabeling rules (data/corpus/cc0-review.yaml) keep only rows whose label is clear,
and training weights the rows down because their text is not shaped like real input. A disjoint slice
(`split: calibration`) is never trained on: it is real text from other people, so the threshold is also
certified on data no template of ours produced.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import yaml

from tools.router.corpus import CORPUS_DIR

SOURCE = Path(__file__).resolve().parents[3] / "shared" / "data" / "train" / "it-service-tickets.csv"
REVIEW_FILE = CORPUS_DIR / "cc0-review.yaml"
SUBSET_FILE = CORPUS_DIR / "cc0-subset.jsonl"


def review(document: str, rule: dict[str, Any]) -> bool:
    """Whether a row survives its group's keep/drop word lists."""
    words = set(document.split())
    if rule.get("require_any") and not words & set(rule["require_any"]):
        return False
    return not words & set(rule.get("drop_if_any") or [])


def derive_subset(source: Path = SOURCE, seed: int = 20240611) -> list[dict[str, Any]]:
    """Relabel, review and sample the CC0 rows: the same rows for the same source, rules and seed."""
    rules = yaml.safe_load(REVIEW_FILE.read_text(encoding="utf-8"))
    kept: dict[str, list[dict[str, Any]]] = {}
    with source.open(encoding="utf-8", newline="") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            rule = rules["groups"].get(row["Topic_group"])
            document = " ".join(row["Document"].split())
            if rule is None or len(document) < 20 or not review(document, rule):
                continue
            kept.setdefault(rule["label"], []).append(
                {
                    "id": f"cc0-{i}",
                    "language": "en",
                    "subject": "",
                    "description": document,
                    "label": rule["label"],
                    "split": "train",
                    "source": "cc0",
                    "source_group": row["Topic_group"],
                }
            )
    subset: list[dict[str, Any]] = []
    for label in sorted(kept):
        rows = kept[label]
        n_train, n_cal = rules["per_label"], rules["calibration_per_label"]
        sample = random.Random(f"{seed}:{label}").sample(rows, min(n_train + n_cal, len(rows)))
        for i, row in enumerate(sample):
            row["split"] = "train" if i < n_train else "calibration"
        subset.extend(sample)
    return subset


def write_subset(path: Path = SUBSET_FILE, source: Path = SOURCE) -> int:
    """Write the reviewed subset (only when the CC0 source is present); returns the row count."""
    rows = derive_subset(source)
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def weight() -> float:
    """The training weight of a CC0 row relative to a generated one."""
    return float(yaml.safe_load(REVIEW_FILE.read_text(encoding="utf-8"))["weight"])
