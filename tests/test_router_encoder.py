"""The router's multilingual sentence encoder: shape, language alignment, masking, memoisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tools.router import encoder

PAIRS = [
    ("My laptop screen is cracked and flickers", "Mein Laptop-Bildschirm ist gesprungen und flackert"),
    ("I would like a refund for last month's invoice", "Je voudrais un remboursement de la facture du mois dernier"),
    ("The VPN disconnects every hour", "La VPN se desconecta cada hora"),
]


@pytest.mark.parametrize("kind", ["full", "static"])
def test_embeddings_are_unit_rows_of_fixed_width(kind: encoder.Kind) -> None:
    vectors = encoder.embed(["printer jam", "", "   ", "x" * 10_000], kind)
    assert vectors.shape == (4, encoder.DIMENSIONS) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert encoder.embed([], kind).shape == (0, encoder.DIMENSIONS)


@pytest.mark.parametrize("kind", ["full", "static"])
def test_a_request_is_closer_to_its_translation_than_to_another_request(kind: encoder.Kind) -> None:
    english = encoder.embed([a for a, _ in PAIRS], kind)
    other = encoder.embed([b for _, b in PAIRS], kind)
    similarity = english @ other.T
    assert all(similarity[i, i] > max(np.delete(similarity[i], i)) for i in range(len(PAIRS)))


def test_masked_secrets_do_not_change_the_embedding() -> None:
    plain, masked = encoder.embed(["Reset my password please", "Reset my password [REDACTED:password] please"])
    assert float(plain @ masked) > 0.99


def test_memoised_block_returns_the_same_vectors_and_forgets_afterwards() -> None:
    texts = ["Outlook crashes on start", "Outlook crashes on start", "Toner is empty"]
    direct = encoder.embed(texts)
    with encoder.memoised():
        first = encoder.embed(texts)
        assert len(encoder._memo["full"]) == 2  # each distinct text is encoded once
        np.testing.assert_array_equal(first, encoder.embed(texts))
    assert encoder._memo is None
    np.testing.assert_allclose(first, direct, atol=1e-6)


def test_the_cached_tokenizer_is_rebuilt_when_unreadable_and_tokenizes_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "Meu notebook não liga desde ontem; VPN-Fehler 809"
    expected = encoder._tokenizer().encode(text, out_type=int, add_bos=False, add_eos=False)
    monkeypatch.setenv("HELPDESK_ENCODER_CACHE", str(tmp_path))
    cached = tmp_path / f"use-m3-tokenizer-{encoder.version()}.pkl"
    for state in ("absent", "written", "corrupt"):
        if state == "corrupt":
            cached.write_bytes(b"not a pickle")
        encoder._tokenizer.cache_clear()
        try:
            ids = encoder._tokenizer().encode(text, out_type=int, add_bos=False, add_eos=False)
        finally:
            encoder._tokenizer.cache_clear()
        assert ids == expected, state
        assert cached.exists() and cached.stat().st_size > 1_000_000, state
