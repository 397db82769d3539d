"""The committed router artifact: loads fast, answers in the interface the coordinator relies on."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import sklearn

from tools.router import RouterPrediction, encoder, load_router
from tools.router.calibration import NEVER
from tools.router.corpus import GENERATED_FILE, read_jsonl, ticket_text
from tools.router.labels import CATEGORIES
from tools.router.model import Router, read_bundle
from tools.router.support_corpus import SUPPORT_FILE
from tools.router.train import ARTIFACT_DIR, ARTIFACT_NAME, MANIFEST_NAME


@pytest.fixture(scope="module")
def router() -> Router:
    return load_router()


@pytest.fixture(scope="module")
def test_split() -> list[dict]:
    return [r for r in read_jsonl(GENERATED_FILE) if r["split"] == "test"]


def test_artifact_loads_and_is_small() -> None:
    """Load time is a benchmark figure (bench/router_latency.py), not a test: a fresh machine first
    distils the embedding table (~20 s, once)."""
    assert Router(read_bundle(ARTIFACT_DIR / ARTIFACT_NAME)).model_version
    assert (ARTIFACT_DIR / ARTIFACT_NAME).stat().st_size < 20_000_000


def test_manifest_matches_the_artifact_and_the_installed_sklearn() -> None:
    import hashlib

    manifest = json.loads((ARTIFACT_DIR / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["versions"]["sklearn"] == sklearn.__version__
    assert manifest["artifact_sha256"] == hashlib.sha256((ARTIFACT_DIR / ARTIFACT_NAME).read_bytes()).hexdigest()
    assert load_router().model_version == manifest["model_version"]


def test_prediction_shape(router: Router) -> None:
    p = router.predict("VPN keeps disconnecting\nGlobalProtect drops the tunnel every five minutes at home.", "en")
    assert isinstance(p, RouterPrediction)
    assert p.category in CATEGORIES and p.runner_up in CATEGORIES and p.runner_up != p.category
    assert set(p.probabilities) == set(CATEGORIES)
    assert sum(p.probabilities.values()) == pytest.approx(1.0, abs=1e-9)
    assert p.confidence == pytest.approx(max(p.probabilities.values()))
    assert p.confidence == p.probabilities[p.category]
    assert p.model == "local:use-tfidf-logreg" and p.model_version


def test_evidence_words_occur_in_the_text(router: Router, test_split: list[dict]) -> None:
    for row in test_split[::40]:
        text = ticket_text(row)
        p = router.predict(text, row["language"])
        assert p.evidence, text
        for word in p.evidence:
            assert word in text, (word, text)


def test_fast_path_features_equal_the_fitted_pipeline(router: Router, test_split: list[dict]) -> None:
    for row in test_split[::60]:
        # Odd whitespace too: the fast path splits on it word by word and remembers each word's n-grams.
        text = ticket_text(row) + " [REDACTED:password]\t0x80070005  Über\u00a0weisung\u2003VPN\r\n"
        fast = router.vectorise(text).toarray()
        np.testing.assert_array_equal(router.vectorise(text).toarray(), fast)  # remembered words change nothing
        ngrams = router.features.transform([text]).toarray()
        embedding = encoder.embed([text], router.embedding) * router.embedding_weight
        batch = np.hstack([ngrams, embedding])
        np.testing.assert_allclose(fast, batch, atol=1e-6)


@pytest.mark.parametrize("text", [None, "", "   ", "[REDACTED:password]", "🙂" * 50, "x" * 20_000, 42])
def test_odd_input_never_raises(router: Router, text: object) -> None:
    p = router.predict(text)  # type: ignore[arg-type]
    assert p.category in CATEGORIES and 0.0 <= p.confidence <= 1.0


def test_threshold_table_is_monotone_and_looked_up_conservatively(router: Router) -> None:
    targets = sorted(router.thresholds)
    thresholds = [router.thresholds[t] for t in targets]
    assert all(a >= b for a, b in itertools.pairwise(thresholds))
    assert all(0.0 < t <= NEVER for t in thresholds)
    assert router.threshold_for(0.05) == router.thresholds[0.05]
    assert router.threshold_for(0.06) == router.thresholds[0.05]  # never a more lenient, uncertified entry
    assert router.threshold_for(0.0) == NEVER


def test_held_out_test_split_is_routed_well(router: Router, test_split: list[dict]) -> None:
    """Phrases of the test split never occur in training: this measures generalisation to new wording."""
    from sklearn.metrics import f1_score

    predicted = [router.predict(ticket_text(r)).category for r in test_split]
    assert f1_score([r["label"] for r in test_split], predicted, average="macro") > 0.9


def test_threshold_for_the_default_risk_holds_on_held_out_intents(router: Router) -> None:
    """The support e-mails of the test fold come from intents (templates) no training or calibration
    ticket used: the threshold certified for 5 % must keep false confidence near 5 % there too."""
    rows = [r for r in read_jsonl(SUPPORT_FILE) if r["split"] == "test"]
    threshold = router.threshold_for(0.05)
    false_confident = 0
    for row in rows:
        p = router.predict(ticket_text(row), row["language"])
        auto = p.category != "out_of_scope" and p.confidence >= threshold
        false_confident += auto and (p.category != row["label"] or row["label"] == "out_of_scope")
    assert len(rows) >= 500
    assert false_confident / len(rows) <= 0.06


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Printer offline\nOur HP printer shows offline in the print dialog although it is switched on.", "hardware"),
        ("Teams calls dropping\nMy Teams calls keep dropping and the audio is choppy since this morning.", "network"),
        ("Can't log in\nI cannot log in to Salesforce, it says my password is wrong.", "software_cloud"),
        ("Access request\nPlease grant me access to the finance shared folder.", "out_of_scope"),
        ("Order a laptop\nPlease purchase a new laptop for our new hire starting Monday.", "out_of_scope"),
        (
            "Dateien verschlüsselt\nAlle Dateien auf dem Desktop haben die Endung .locked und eine Lösegeldforderung.",
            "out_of_scope",
        ),
    ],
)
def test_label_policy_hard_cases(router: Router, text: str, expected: str) -> None:
    assert router.predict(text).category == expected


def test_version_mismatch_retrains_into_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An artifact from another sklearn release is never unpickled: a deterministic retrain replaces it."""
    import shutil

    import tools.router.model as model
    import tools.router.train as train_module

    stale = tmp_path / "stale"
    shutil.copytree(ARTIFACT_DIR, stale)
    manifest = json.loads((stale / MANIFEST_NAME).read_text(encoding="utf-8"))
    manifest["versions"]["sklearn"] = "0.0.1"
    (stale / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    calls: list[Path] = []

    def fake_train(params: object, out_dir: Path) -> None:  # the real one is covered by test_router_training
        calls.append(out_dir)
        shutil.copytree(ARTIFACT_DIR, out_dir)

    monkeypatch.setenv("HELPDESK_ROUTER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(train_module, "train", fake_train)
    router = model.load_router(stale)
    assert calls == [tmp_path / "cache" / f"sklearn-{sklearn.__version__}"]
    assert router.predict("Printer jams").category in CATEGORIES
    model._load.cache_clear()
