"""Semantic similarity between a ticket and a specialist's runbooks, in the router's multilingual space.

BM25 only sees shared words, so "Celular corporativo não liga" and "Company smartphone broken or not
charging" meet through a keyword list or not at all, and a ticket sharing one word ("sync", "site")
with an unrelated runbook still scores. The full Universal Sentence Encoder (the router's encoder,
`tools.router.encoder`) places the five languages in one space: each runbook is represented by its
title in every language, each English symptom and one passage of title and symptoms, and a ticket's
similarity to a runbook is its best cosine with any of them. On the team's labeled runbook fits
(`data/knowledge/runbook-fit-labels.jsonl`, 1,169 tickets with a fitting runbook in their own domain)
BM25 alone ranks a fitting runbook first for 68 % of them, BM25 with this similarity for 73 % (72 %
without the passage).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tools.knowledge.articles import DOMAINS, LANGUAGES, Domain, load_knowledge
from tools.router import encoder

EMBEDDING: encoder.Kind = "full"
"""The whole encoder: its distilled static table ranks runbooks far worse (19 % first-choice fits on its
own, against 57 % for the whole encoder, on the first 480 labeled tickets)."""


@lru_cache(maxsize=3)
def _runbook_vectors(domain: Domain) -> tuple[np.ndarray, np.ndarray]:
    """One row per runbook title (each language), symptom, and the English title with all symptoms as one
    passage (a ticket that describes several symptoms meets it best), and the runbook each belongs to."""
    texts: list[str] = []
    owners: list[int] = []
    for i, article in enumerate(load_knowledge(domain).articles):
        passage = f"{article.title['en']}. {' '.join(article.symptoms)}"
        for text in [article.title[lang] for lang in LANGUAGES] + list(article.symptoms) + [passage]:
            texts.append(text)
            owners.append(i)
    return encoder.embed(texts, EMBEDDING), np.asarray(owners)


@lru_cache(maxsize=64)
def ticket_vector(text: str) -> np.ndarray:
    """A ticket's embedding, once per ticket: after a hand-back the next specialist reads the same text."""
    return encoder.embed([text], EMBEDDING)[0]


def similarities(domain: Domain, text: str) -> np.ndarray:
    """Cosine similarity of the ticket to each of `domain`'s runbooks (in the knowledge base's order)."""
    vectors, owners = _runbook_vectors(domain)
    cosines = vectors @ ticket_vector(text)
    best = np.full(int(owners.max()) + 1, -1.0, dtype=np.float64)
    np.maximum.at(best, owners, cosines.astype(np.float64))
    return best


def warm() -> None:
    """Load the encoder and embed every domain's runbooks now (before a server takes its first ticket)."""
    for domain in DOMAINS:
        _runbook_vectors(domain)
