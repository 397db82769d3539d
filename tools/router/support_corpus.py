"""Generator of polite support e-mails grouped by intent, for training and for honest calibration.

Each language file in data/corpus/templates/support/ lists, per class, intents (billing, refund, VPN,
printer, ...) with subjects and sentences. An intent is a *group*: every ticket of an intent, in every
language, lands in one fold. Folds 0..3 are training folds (the trainer cross-fits over them to get
out-of-group predictions for calibration); fold 4 is the test fold, never trained on. So calibration and
test texts share no template with the model that scores them, which is the shift real mail brings.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from tools.router.corpus import CORPUS_DIR, LANGUAGES, TEMPLATES_DIR, _capital, _Filler, _stable_seed
from tools.router.labels import CATEGORIES, OUT_OF_SCOPE

SUPPORT_DIR = TEMPLATES_DIR / "support"
SUPPORT_FILE = CORPUS_DIR / "support.jsonl"
FOLDS = 5
TEST_FOLD = FOLDS - 1
TICKETS_PER_INTENT = 30
SEED = 20240611


def load_support(directory: Path = SUPPORT_DIR) -> dict[str, dict[str, Any]]:
    """One vocabulary per language."""
    return {lang: yaml.safe_load((directory / f"{lang}.yaml").read_text(encoding="utf-8")) for lang in LANGUAGES}


def intent_folds(vocabularies: dict[str, dict[str, Any]], seed: int = SEED) -> dict[str, int]:
    """intent -> fold, stratified by class so every fold holds intents of every class."""
    folds: dict[str, int] = {}
    for category in CATEGORIES:
        intents = sorted({i for v in vocabularies.values() for i in v["intents"][category]})
        random.Random(_stable_seed(seed, "support-folds", category)).shuffle(intents)
        folds |= {intent: k % FOLDS for k, intent in enumerate(intents)}
    return folds


def _ticket(rng: random.Random, vocab: dict[str, Any], category: str, intent: dict[str, Any], fill: _Filler) -> str:
    sentences = rng.sample(intent["sentences"], k=min(len(intent["sentences"]), rng.choice((1, 1, 2, 2, 3))))
    body = [_capital(fill(s)) for s in sentences]
    if category != OUT_OF_SCOPE and rng.random() < 0.5:
        body.append(fill(rng.choice(vocab["tried"])))
    side = OUT_OF_SCOPE if category == OUT_OF_SCOPE else "in_scope"
    if rng.random() < 0.3:
        body.insert(rng.randint(0, len(body)), fill(rng.choice(vocab["mentions"][side])))
    if rng.random() < 0.2:
        return " ".join(body)
    parts = [fill(rng.choice(vocab["greetings"]))]
    if rng.random() < 0.6:
        parts.append(fill(rng.choice(vocab["openers"])))
    if rng.random() < 0.35:
        parts.append(fill(rng.choice(vocab["about_me"])))
    parts.append(" ".join(body))
    parts.append(fill(rng.choice(vocab["closings"])))
    parts.append(fill(rng.choice(vocab["signoffs"])))
    text = "\n\n".join(parts)
    return text.lower() if rng.random() < 0.08 else text


def generate_support(directory: Path = SUPPORT_DIR, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """Every support ticket, deterministically for given template files and seed."""
    from tools.router.corpus import load_templates

    common, _ = load_templates()
    vocabularies = load_support(directory)
    folds = intent_folds(vocabularies, seed)
    for lang in LANGUAGES:
        vocab = vocabularies[lang]
        for category in CATEGORIES:
            for name, intent in sorted(vocab["intents"][category].items()):
                fold = folds[name]
                for i in range(TICKETS_PER_INTENT):
                    rng = random.Random(_stable_seed(seed, "support", lang, name, i))
                    fill = _Filler(rng, vocab["slots"], common)
                    subject = fill(rng.choice(intent["subjects"])) if rng.random() < 0.85 else ""
                    yield {
                        "id": f"sup-{lang}-{name}-{i:03d}",
                        "language": lang,
                        "subject": subject,
                        "description": _ticket(rng, vocab, category, intent, fill),
                        "label": category,
                        "split": "test" if fold == TEST_FOLD else "train",
                        "group": name,
                        "fold": fold,
                        "source": "generated-support",
                    }


def write_support(path: Path = SUPPORT_FILE) -> int:
    """Regenerate the support corpus file; returns the number of tickets written."""
    n = 0
    with path.open("w", encoding="utf-8") as out:
        for row in generate_support():
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n
