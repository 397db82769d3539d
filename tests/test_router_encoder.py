"""The router's multilingual sentence encoder: shape, language alignment, masking, memoisation."""

from __future__ import annotations

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
