"""Deterministic generator of the router's training corpus from the team's templates (data, not code).

Every phrase pool (subjects, problem statements, details, troubleshooting steps) of every class and
language is split once, by a seeded permutation, into train / calibration / test shares. A calibration
or test ticket is built only from phrases the model never saw in training, so the held-out splits
measure generalisation to new wording, which is what the confidence threshold must survive.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.router.labels import CATEGORIES, IN_SCOPE, OUT_OF_SCOPE

CORPUS_DIR = Path(__file__).resolve().parents[2] / "data" / "corpus"
TEMPLATES_DIR = CORPUS_DIR / "templates"
GENERATED_FILE = CORPUS_DIR / "generated.jsonl"
LANGUAGES = ("en", "de", "es", "fr", "pt")
SPLITS = ("train", "calibration", "test")
SPLIT_SHARES = (0.6, 0.2, 0.2)
POOLS = ("subjects", "problems", "details", "tried")
COMPOSE_POOLS = ("things", "symptoms", "topics")
COMPOSE_SHARE = 0.5
"""Share of tickets whose main statement is composed from frame + thing + symptom (or request + topic)."""
TOPIC_SHARE = 0.35
"""Share of composed statements that are a request about a topic rather than a thing with a symptom
(a class may set its own `topic_share`: out_of_scope keeps most of its composed tickets requests)."""
CONTEXT_SHARE = 0.35
"""Share of tickets that carry a sentence from across the class boundary."""
_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class GeneratorConfig:
    """How many tickets per (language, class, split); out_of_scope is broader, so it gets more."""

    seed: int = 20240611
    per_class: tuple[tuple[str, int], ...] = (
        ("network", 300),
        ("software_cloud", 300),
        ("hardware", 300),
        ("out_of_scope", 450),
    )
    held_out_fraction: float = 0.25  # calibration and test tickets, each, relative to the train count


def _stable_seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def load_templates(directory: Path = TEMPLATES_DIR) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The language-neutral slots and one vocabulary per language."""
    common = yaml.safe_load((directory / "common.yaml").read_text(encoding="utf-8"))
    languages = {lang: yaml.safe_load((directory / f"{lang}.yaml").read_text(encoding="utf-8")) for lang in LANGUAGES}
    return common, languages


def split_pool(items: list[str], seed: int, key: str) -> dict[str, list[str]]:
    """Partition one phrase pool into the three splits; tiny pools are shared rather than left empty."""
    order = list(items)
    random.Random(_stable_seed(seed, key)).shuffle(order)
    n = len(order)
    if n < 3:
        return dict.fromkeys(SPLITS, order)
    n_train = max(1, round(n * SPLIT_SHARES[0]))
    n_cal = max(1, round(n * SPLIT_SHARES[1]))
    parts = {
        "train": order[:n_train],
        "calibration": order[n_train : n_train + n_cal],
        "test": order[n_train + n_cal :],
    }
    return {k: v or order for k, v in parts.items()}


class _Filler:
    """Fills {slot} placeholders from the language's slots, then the language-neutral ones."""

    def __init__(self, rng: random.Random, slots: dict[str, list[str]], common: dict[str, list[str]]) -> None:
        self.rng, self.slots, self.common = rng, slots, common

    def __call__(self, template: str) -> str:
        def pick(match: re.Match[str]) -> str:
            name = match.group(1)
            pool = self.slots.get(name) or self.common.get(name)
            return str(self.rng.choice(pool)) if pool else match.group(0)

        return _SLOT.sub(pick, template)


def _chat(text: str, rng: random.Random, vocab: dict[str, Any]) -> str:
    """Chat style: lower case, no final stop, a terse prefix or suffix, sometimes typos of haste."""
    body = text.rstrip(".").lower() if rng.random() < 0.6 else text.rstrip(".")
    prefix, suffix = rng.choice(vocab["chat_prefix"]), rng.choice(vocab["chat_suffix"])
    return " ".join(p for p in (prefix, body, suffix) if p).strip()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _composed(
    rng: random.Random, compose: dict[str, Any], pools: dict[str, list[str]], topic_share: float
) -> tuple[str, str]:
    """A frame with a thing and a symptom of the class, or a request about a topic; plus a subject."""
    if pools["topics"] and (not pools["things"] or rng.random() < topic_share):
        topic = rng.choice(pools["topics"])
        return _capital(rng.choice(compose["request_frames"]).replace("{topic}", topic)), _capital(topic)
    thing, symptom = rng.choice(pools["things"]), rng.choice(pools["symptoms"])
    sentence = rng.choice(compose["frames"]).replace("{thing}", thing).replace("{symptom}", symptom)
    return _capital(sentence), _capital(f"{thing} {symptom}")


def _context(rng: random.Random, compose: dict[str, Any], pools: dict[str, list[str]]) -> str | None:
    """A sentence from the other side of the boundary, so the model learns the main request decides:
    out_of_scope tickets mention a device or application, in-scope tickets mention the business."""
    if pools["context_things"]:
        thing = rng.choice(pools["context_things"])
        return _capital(rng.choice(compose["context_frames"]).replace("{thing}", thing))
    return rng.choice(compose["business_context"]) if rng.random() < 0.6 else None


def _ticket(
    rng: random.Random, vocab: dict[str, Any], pools: dict[str, list[str]], fill: _Filler, topic_share: float
) -> tuple[str, str, str]:
    """One ticket: (subject, description, style)."""
    style = rng.choices(("chat", "short", "email"), weights=(0.25, 0.3, 0.45))[0]
    problems = [fill(rng.choice(pools["problems"]))]
    subject = "" if rng.random() < 0.12 else fill(rng.choice(pools["subjects"]))
    if rng.random() < COMPOSE_SHARE:
        sentence, composed_subject = _composed(rng, vocab["compose"], pools, topic_share)
        problems = [fill(sentence)] if rng.random() < 0.6 else [fill(sentence), *problems]
        if subject and rng.random() < 0.4:
            subject = fill(composed_subject)
    if rng.random() < 0.2:
        problems.append(fill(rng.choice(pools["problems"])))
    extras = [fill(s) for s in rng.sample(pools["details"], k=min(len(pools["details"]), rng.randint(0, 3)))]
    if pools["tried"] and rng.random() < 0.6:
        extras.append(fill(rng.choice(pools["tried"])))
    if rng.random() < 0.4:
        extras.append(rng.choice(vocab["impact"]))
    if rng.random() < CONTEXT_SHARE and (context := _context(rng, vocab["compose"], pools)):
        extras.append(context)
    rng.shuffle(extras)
    if subject and rng.random() < 0.1:
        subject = f"{rng.choice(('Re:', 'RE:', 'AW:', 'Fwd:', 'TR:', 'RV:'))} {subject}"
    if style == "chat":
        return (subject.lower() if rng.random() < 0.5 else subject), _chat(problems[0], rng, vocab), style
    if style == "short":
        body = " ".join([*problems, *extras[:1]])
        if rng.random() < 0.5:
            body = f"{body}\n{fill(rng.choice(vocab['signoffs']))}"
        return subject, body, style
    parts = [rng.choice(vocab["greetings"])]
    if rng.random() < 0.7:
        parts.append(rng.choice(vocab["openers"]))
    body = " ".join([*problems, *extras])
    parts.append(body)
    parts.append(rng.choice(vocab["closings"]))
    parts.append(fill(rng.choice(vocab["signoffs"])))
    return subject, "\n\n".join(parts), style


def generate(config: GeneratorConfig | None = None, directory: Path = TEMPLATES_DIR) -> Iterator[dict[str, Any]]:
    """Yield every generated ticket, deterministically for a given config and template files."""
    config = config or GeneratorConfig()
    common, languages = load_templates(directory)
    counts = dict(config.per_class)
    for lang in LANGUAGES:
        vocab = languages[lang]
        context_things = {
            split: [
                thing
                for category in IN_SCOPE
                for thing in split_pool(
                    vocab["compose"][category]["things"], config.seed, f"{lang}/{category}/compose/things"
                )[split]
            ]
            for split in SPLITS
        }
        for category in CATEGORIES:
            spec = vocab["classes"][category]
            compose = vocab["compose"][category]
            topic_share = compose.get("topic_share", TOPIC_SHARE)
            if not 0.0 <= topic_share <= 1.0:
                raise ValueError(f"{lang}.yaml compose.{category}.topic_share must lie in [0, 1], got {topic_share}")
            by_split = {
                pool: split_pool(spec.get(pool) or [], config.seed, f"{lang}/{category}/{pool}") for pool in POOLS
            } | {
                pool: split_pool(compose.get(pool) or [], config.seed, f"{lang}/{category}/compose/{pool}")
                for pool in COMPOSE_POOLS
            }
            for split in SPLITS:
                n = counts[category] if split == "train" else round(counts[category] * config.held_out_fraction)
                pools = {pool: by_split[pool][split] for pool in (*POOLS, *COMPOSE_POOLS)}
                pools["context_things"] = context_things[split] if category == OUT_OF_SCOPE else []
                for i in range(n):
                    rng = random.Random(_stable_seed(config.seed, lang, category, split, i))
                    fill = _Filler(rng, vocab["slots"], common)
                    subject, description, style = _ticket(rng, vocab, pools, fill, topic_share)
                    yield {
                        "id": f"gen-{lang}-{category}-{split}-{i:04d}",
                        "language": lang,
                        "subject": subject,
                        "description": description,
                        "label": category,
                        "split": split,
                        "style": style,
                        "source": "generated",
                    }


def write_generated(path: Path = GENERATED_FILE, config: GeneratorConfig | None = None) -> int:
    """Regenerate the corpus file; returns the number of tickets written."""
    n = 0
    with path.open("w", encoding="utf-8") as out:
        for row in generate(config):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a corpus JSONL file."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def ticket_text(row: dict[str, Any]) -> str:
    """What the router reads: subject, a newline, description (the coordinator's input shape)."""
    return f"{row.get('subject') or ''}\n{row.get('description') or ''}"
