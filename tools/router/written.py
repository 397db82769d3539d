"""The hand-written ticket corpus (`data/corpus/written/<writer>.jsonl`): realistic tickets written by
the team, one file per writer, each writer in a different organisational setting and in all five
languages. Writers are the groups for held-out calibration: a model never sees the writer it is
calibrated on, so the threshold must hold for a new author's style, not just for new phrases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.router.corpus import read_jsonl
from tools.router.labels import CATEGORIES

WRITTEN_DIR = Path(__file__).resolve().parents[2] / "data" / "corpus" / "written"
WRITER_FOLDS = 3
"""Writers are dealt to this many cross-fitting folds (each fold's writers are held out together)."""
LANGUAGES = ("en", "de", "es", "fr", "pt")


def read_written(directory: Path = WRITTEN_DIR) -> list[dict[str, Any]]:
    """Every valid written ticket, tagged with its writer (the file name) and `source: written`.

    A row with an unknown label or language, or no text, is skipped: the corpus is data others edit.
    """
    rows: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.jsonl")) if directory.is_dir() else []:
        for row in read_jsonl(path):
            text = f"{row.get('subject') or ''}{row.get('description') or ''}".strip()
            if row.get("label") in CATEGORIES and row.get("language") in LANGUAGES and text:
                rows.append({**row, "writer": path.stem, "source": "written"})
    return rows


def writer_folds(rows: list[dict[str, Any]], folds: int = WRITER_FOLDS) -> list[tuple[str, ...]]:
    """Writers dealt round-robin (in name order) to `folds` groups; empty groups are dropped."""
    writers = sorted({r["writer"] for r in rows})
    return [tuple(writers[i::folds]) for i in range(folds) if writers[i::folds]]
