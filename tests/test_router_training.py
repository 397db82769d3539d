"""Reproducibility of the corpus and the training, and the calibration maths on known data."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import numpy as np
import pytest

from tests.support.overlap import SHARED_EVAL, shingles
from tools.router import calibration
from tools.router import train as train_module
from tools.router.corpus import GENERATED_FILE, generate, read_jsonl, split_pool
from tools.router.labels import CATEGORIES
from tools.router.support_corpus import FOLDS, SUPPORT_FILE, TEST_FOLD, generate_support, intent_folds, load_support
from tools.router.train import CROSS_FIT, WRITER_SET, TrainParams, design_matrix, fit_model
from tools.router.written import WRITTEN_DIR, read_written


def test_committed_corpus_is_exactly_what_the_generator_produces() -> None:
    regenerated = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in generate())
    assert hashlib.sha256(regenerated.encode()).hexdigest() == hashlib.sha256(GENERATED_FILE.read_bytes()).hexdigest()


def test_committed_support_mail_is_exactly_what_the_generator_produces() -> None:
    regenerated = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in generate_support())
    assert hashlib.sha256(regenerated.encode()).hexdigest() == hashlib.sha256(SUPPORT_FILE.read_bytes()).hexdigest()


def test_support_intents_are_groups_every_fold_holds_every_class_and_the_test_fold_is_never_trained() -> None:
    vocabularies = load_support()
    for lang, vocab in vocabularies.items():  # same intents in every language, so a fold is held out in all
        assert {c: set(v) for c, v in vocab["intents"].items()} == {
            c: set(v) for c, v in vocabularies["en"]["intents"].items()
        }, lang
    folds = intent_folds(vocabularies)
    for category in CATEGORIES:
        assert {folds[i] for i in vocabularies["en"]["intents"][category]} == set(range(FOLDS))
    rows = read_jsonl(SUPPORT_FILE)
    train_groups = {r["group"] for r in rows if r["split"] == "train"}
    test_groups = {r["group"] for r in rows if r["split"] == "test"}
    assert test_groups and not train_groups & test_groups
    assert all(r["fold"] == TEST_FOLD for r in rows if r["split"] == "test")
    assert sorted(f for held in CROSS_FIT for f in held) == [f for f in range(FOLDS) if f != TEST_FOLD]
    assert not [r for r in rows if "{" in r["description"] + r["subject"]]  # every slot was filled


def test_corpus_covers_every_class_and_language_with_held_out_splits() -> None:
    rows = read_jsonl(GENERATED_FILE)
    assert len(rows) >= 2000
    for split in ("train", "calibration", "test"):
        seen = {(r["language"], r["label"]) for r in rows if r["split"] == split}
        assert len(seen) == 5 * len(CATEGORIES)


def test_held_out_phrases_never_appear_in_the_training_pool() -> None:
    pools = split_pool([f"phrase {i}" for i in range(40)], seed=7, key="en/network/problems")
    assert not set(pools["train"]) & (set(pools["calibration"]) | set(pools["test"]))
    assert pools == split_pool([f"phrase {i}" for i in range(40)], seed=7, key="en/network/problems")


def test_training_twice_on_a_slice_gives_identical_predictions() -> None:
    rows = [r for r in read_jsonl(GENERATED_FILE) if r["split"] == "train"][::25]
    probe = [r for r in read_jsonl(GENERATED_FILE) if r["split"] == "test"][::50]
    params = replace(TrainParams(), char_max_features=5000, word_max_features=2000, max_iter=500)
    first = [fit_model(rows, params) for _ in range(2)]
    outputs = [clf.predict_proba(design_matrix(feat, probe, params)) for feat, clf in first]
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_temperature_recovers_a_known_scale() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, size=4000)
    true_logits = rng.normal(size=(4000, 4))
    true_logits[np.arange(4000), labels] += 1.5
    sampled = np.array([rng.choice(4, p=p) for p in calibration.probabilities(true_logits, 1.0)])
    assert calibration.fit_temperature(true_logits * 3.0, sampled) == pytest.approx(3.0, rel=0.15)


def test_learn_then_test_threshold_controls_the_risk() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    labels = rng.integers(0, 3, size=n)  # in-scope only, so every wrong auto-route counts
    confidence = rng.uniform(0.3, 1.0, size=n)
    correct = rng.uniform(size=n) < confidence  # calibrated by construction
    predicted = np.where(correct, labels, (labels + 1) % 3)
    probs = np.full((n, 4), 0.0)
    probs[np.arange(n), predicted] = confidence
    rest = (1 - confidence) / 3
    for k in range(4):
        probs[:, k] = np.where(predicted == k, confidence, rest)
    table = calibration.learn_then_test(probs, labels, targets=(0.02, 0.05, 0.1), delta=0.1)
    assert table["0.02"] >= table["0.05"] >= table["0.1"]
    for target, threshold in table.items():
        assert calibration.false_confident(probs, labels, threshold).mean() <= float(target)


def test_when_every_prediction_is_wrong_nothing_is_auto_routed() -> None:
    probs = np.tile([0.97, 0.01, 0.01, 0.01], (500, 1))
    labels = np.full(500, 1)
    threshold = calibration.learn_then_test(probs, labels, targets=(0.05,))["0.05"]
    assert threshold > 0.97
    assert not calibration.false_confident(probs, labels, threshold).any()
    probs[:, 0] = 1.0  # certain and wrong: only the "never" threshold escalates these
    assert calibration.learn_then_test(probs, labels, targets=(0.05,))["0.05"] == calibration.NEVER


def test_fitted_features_carry_no_per_process_state() -> None:
    """A memory address pickled into the artifact would make two identical trainings differ byte-wise."""
    import pickle
    import subprocess
    import sys

    from tools.router.train import _drop_pruned_vocabulary

    rows = [r for r in read_jsonl(GENERATED_FILE) if r["split"] == "train"][::40]
    params = replace(TrainParams(), char_max_features=2000, word_max_features=1000, max_iter=300)
    features, _ = fit_model(rows, params)
    features.transform(["VPN down"])  # sklearn caches id(stop_words) here
    _drop_pruned_vocabulary(features)
    here = hashlib.sha256(pickle.dumps(features)).hexdigest()
    code = (
        "import hashlib, pickle; from dataclasses import replace;"
        "from tools.router.corpus import GENERATED_FILE, read_jsonl;"
        "from tools.router.train import TrainParams, fit_model, _drop_pruned_vocabulary;"
        "rows = [r for r in read_jsonl(GENERATED_FILE) if r['split'] == 'train'][::40];"
        "p = replace(TrainParams(), char_max_features=2000, word_max_features=1000, max_iter=300);"
        "f, _ = fit_model(rows, p); f.transform(['x']); _drop_pruned_vocabulary(f);"
        "print(hashlib.sha256(pickle.dumps(f)).hexdigest())"
    )
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert here == there


def test_written_tickets_are_one_calibration_set_each_scored_without_its_writer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    generated = read_jsonl(GENERATED_FILE)
    test_rows = [r for r in generated if r["split"] == "test"][::40]
    written = [{**r, "writer": f"w{i % 4}", "source": "written"} for i, r in enumerate(test_rows)]
    train_rows = [r for r in generated if r["split"] == "train"][::40]
    rows = {"train": train_rows, "support_train": [], "cc0": [], "written": written}
    params = replace(TrainParams(), char_max_features=5000, word_max_features=2000, max_iter=500)
    seen_writers: list[set[str]] = []

    def recording_fit(train_rows: list[dict], fit_params: TrainParams) -> tuple:
        seen_writers.append({r["writer"] for r in train_rows if "writer" in r})
        return fit_model(train_rows, fit_params)

    monkeypatch.setattr(train_module, "fit_model", recording_fit)
    held_out = train_module._cross_fitted_logits(rows, params)

    assert set(held_out) == {WRITER_SET}
    logits, scored = held_out[WRITER_SET]
    assert logits.shape == (len(written), len(CATEGORIES))
    assert sorted(map(id, scored)) == sorted(map(id, written))  # every written ticket exactly once
    folds = [(seen, {r["writer"] for r in written} - seen) for seen in seen_writers]
    assert len(folds) == 3 and all(held and not (held & seen) for seen, held in folds)


@pytest.mark.skipif(not SHARED_EVAL.is_file(), reason="../shared/data/eval is not present (only in CI and dev)")
def test_no_written_ticket_is_copied_from_the_evaluation_set() -> None:
    """Aggregate check only: no written text equals a subject or description of the measuring set
    or shares an 8-word run with one (an LLM-assisted writer could reproduce a memorised ticket)."""
    theirs: set[tuple[str, ...]] = set()
    texts: set[str] = set()
    for row in read_jsonl(SHARED_EVAL):
        texts |= {(row.get("subject") or "").strip().lower(), (row.get("description") or "").strip().lower()}
        theirs |= shingles(row.get("description") or "")
    texts.discard("")
    ours = read_written() + read_written(WRITTEN_DIR.parent / "candidates")
    assert len(ours) > 3000
    assert not [r["id"] for r in ours if {r["subject"].strip().lower(), r["description"].strip().lower()} & texts]
    assert not [r["id"] for r in ours if shingles(r["description"]) & theirs]
