"""Hybrid retrieval over a specialist's own articles, and a domain check across all domains.

Each article is indexed for BM25 (bm25s) by its titles and keywords in the five languages plus its
English symptoms, all through `analyzer.analyze`, so a German ticket meets German keywords and English
IT words alike. Articles are ranked by their multilingual semantic similarity to the ticket
(`semantic`) plus a share of their BM25 score, so a shared stray word no longer outranks the runbook
that describes the problem. Raw BM25 scores are unbounded; the match confidence maps them to [0, 1]
against the score an article's own title earns (a ticket that matches `TITLE_FRACTION` as well as a
title reads ~0.63). The domain check scores the ticket in one shared index over every specialist's
articles plus the non-IT topics of `out_of_scope.yaml`, so the scores of different domains are
comparable. Indexes are built once.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import bm25s
import numpy as np

from tools.knowledge import semantic
from tools.knowledge.analyzer import analyze, bound_words, content_words, phrase_query, phrase_term
from tools.knowledge.articles import (
    DOMAINS,
    LANGUAGES,
    Article,
    Domain,
    OutOfScopeTopic,
    load_knowledge,
    load_out_of_scope,
)

OUT_OF_SCOPE = "out_of_scope"
TITLE_FRACTION = 0.7
"""Tickets are shorter and vaguer than titles: matching 70 % as well as a typical title is a good match."""
DOMAIN_SHARE_FULL = 0.5
"""A ticket whose best score in our domain is at least half of all domains' best scores combined is
fully ours; below that, the confidence shrinks in proportion (mixed or foreign vocabulary)."""
LEXICAL_WEIGHT = 0.3
"""Ranking score = semantic similarity + this x (BM25 score / the ticket's best BM25 score). On the first
480 labeled written tickets, first-choice fits were flat (70-71 %) between 0.2 and 0.4; 0.3 is the middle."""


@dataclass(frozen=True)
class Hit:
    """One ranked article: its raw BM25 score, its semantic similarity and the ranking score of both."""

    article: Article
    score: float
    similarity: float
    lexical_share: float  # score / the ticket's best BM25 score in this domain

    @property
    def ranking(self) -> float:
        return self.similarity + LEXICAL_WEIGHT * self.lexical_share


@dataclass(frozen=True)
class Match:
    """What retrieval concluded for one ticket and one specialist."""

    hits: tuple[Hit, ...]  # own articles, best ranking first (empty when no runbook term occurs)
    match_confidence: float  # [0, 1]: how well the lexically best own article matches, by itself
    domain_ratio: float  # [0, 1]: own best score / best score of any domain (1.0 when own is best)
    domain_share: float  # [0, 1]: own best score / sum of every domain's best score
    best_domain: str | None  # network | software_cloud | hardware | out_of_scope (None: no match)
    out_of_scope_ratio: float  # best non-IT topic score / own best score (0.0: nothing non-IT matched)
    equipment: tuple[str, ...]  # building-equipment keywords the ticket names (non-IT topics marked `equipment`)
    matched_terms: tuple[str, ...]  # ticket terms found in the best article
    similarity_margin: float = 0.0  # best minus second-best semantic similarity over all own articles
    rival_similarity_lead: float = 0.0  # own best similarity minus best_domain's (0.0 when ours is best_domain)
    ticket_terms: int = 0  # distinct content words the ticket holds (how much it says)

    @property
    def confidence(self) -> float:
        """The specialist's retrieval confidence: a good match, no other domain better, mostly ours."""
        ownership = min(1.0, self.domain_share / DOMAIN_SHARE_FULL)
        return round(self.match_confidence * self.domain_ratio * ownership, 4)

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


def article_terms(article: Article) -> list[str]:
    """The index terms of one article (titles and keywords per language, English symptoms)."""
    terms: list[str] = []
    for lang in LANGUAGES:
        terms += analyze(article.title[lang], lang)
        terms += analyze(" ; ".join(article.keywords[lang]), lang)
    terms += analyze(" ; ".join(article.symptoms), "en")
    return terms


def topic_terms(topic: OutOfScopeTopic) -> list[str]:
    """The index terms of one non-IT topic: title words (English, met only in English tickets), and
    each keyword matched as a whole phrase (`keyword_terms`).

    The topics only veto a specialist (a hand-back), so they must be precise: "débité deux fois"
    must not fire on "redémarré deux fois", nor Spanish "pago" on French "page", nor the title's
    "office" on every language's "Office"."""
    terms = bound_words(topic.title, "en")
    for lang in LANGUAGES:
        for keyword in topic.keywords[lang]:
            terms += keyword_terms(topic, lang, keyword)
    return terms


def keyword_terms(topic: OutOfScopeTopic, language: str, keyword: str) -> list[str]:
    """The index terms of one of the topic's keywords (`analyzer.phrase_term`), English-only ones bound."""
    return phrase_term(keyword, language, bound=language == "en" and keyword in topic.english_only)


class TermIndex:
    """A BM25 index over documents given as term lists; `phrased` when documents hold phrase terms."""

    def __init__(self, documents: list[list[str]], phrased: bool = False) -> None:
        self.terms = [set(doc) for doc in documents]
        self.phrased = phrased
        self._bm25 = bm25s.BM25()
        self._bm25.index(documents, show_progress=False)

    def scores(self, text: str, language: str | None) -> np.ndarray:
        """BM25 score of every document for `text` (each distinct query term counted once)."""
        query = [t for t in query_terms(text, language, self.phrased) if t in self._bm25.vocab_dict]
        if not query:
            return np.zeros(len(self.terms), dtype=np.float32)
        return self._bm25.get_scores(query)


@lru_cache(maxsize=64)
def query_terms(text: str, language: str | None, phrased: bool) -> tuple[str, ...]:
    """A ticket's distinct query terms, computed once per ticket: every specialist and the domain
    check read the same text (phrase terms only for an index that holds phrases)."""
    terms = analyze(text, language) + (phrase_query(text, language) if phrased else [])
    return tuple(dict.fromkeys(terms))


class ArticleIndex:
    """One specialist's articles, ranked by BM25, with the scale that normalises their scores."""

    def __init__(self, articles: tuple[Article, ...]) -> None:
        self.articles = articles
        self._index = TermIndex([article_terms(a) for a in articles])
        own = [
            float(self._index.scores(article.title[lang], lang)[i])
            for i, article in enumerate(articles)
            for lang in LANGUAGES
        ]
        self.scale = max(TITLE_FRACTION * statistics.median(own), 1e-6)
        """The score of a good match: a fraction of the median score an article earns for its own title."""

    def scores(self, text: str, language: str | None) -> np.ndarray:
        """The BM25 score of every article, in authoring order."""
        return self._index.scores(text, language)

    def matched_terms(self, text: str, language: str | None, article: Article) -> tuple[str, ...]:
        terms = self._index.terms[self.articles.index(article)]
        return tuple(t for t in query_terms(text, language, False) if t in terms)


@lru_cache(maxsize=len(DOMAINS))
def domain_index(domain: Domain) -> ArticleIndex:
    """The index over one specialist's own articles."""
    return ArticleIndex(load_knowledge(domain).articles)


@lru_cache(maxsize=1)
def shared_index() -> tuple[TermIndex, tuple[str, ...]]:
    """One index over every domain's articles and the non-IT topics, with each document's owner."""
    documents: list[list[str]] = []
    owners: list[str] = []
    for domain in DOMAINS:
        for article in load_knowledge(domain).articles:
            documents.append(article_terms(article))
            owners.append(domain)
    for topic in load_out_of_scope():
        documents.append(topic_terms(topic))
        owners.append(OUT_OF_SCOPE)
    return TermIndex(documents, phrased=True), tuple(owners)


@lru_cache(maxsize=1)
def _equipment_keywords() -> dict[str, str]:
    """Index term -> the authored keyword it comes from, for every non-IT topic marked `equipment`."""
    return {
        term: keyword
        for topic in load_out_of_scope()
        if topic.equipment
        for lang in LANGUAGES
        for keyword in topic.keywords[lang]
        for term in keyword_terms(topic, lang, keyword)
    }


def named_equipment(text: str, language: str | None) -> tuple[str, ...]:
    """The building-equipment keywords the ticket names, as authored (see `OutOfScopeTopic.equipment`)."""
    keywords = _equipment_keywords()
    return tuple(dict.fromkeys(keywords[t] for t in query_terms(text, language, True) if t in keywords))


def domain_scores(text: str, language: str | None) -> dict[str, float]:
    """The best document score of each domain (and of out_of_scope) for `text`, in the shared index."""
    index, owners = shared_index()
    best = dict.fromkeys((*DOMAINS, OUT_OF_SCOPE), 0.0)
    for owner, score in zip(owners, index.scores(text, language), strict=True):
        best[owner] = max(best[owner], float(score))
    return best


def retrieve(domain: Domain, text: str, language: str | None, k: int = 5) -> Match:
    """Rank `domain`'s articles for the ticket text and say how much to trust the best one."""
    index = domain_index(domain)
    lexical = index.scores(text, language).astype(np.float64)
    top_lexical = float(lexical.max()) if len(lexical) else 0.0
    if top_lexical <= 0:
        return Match((), 0.0, 0.0, 0.0, None, 0.0, (), ())
    similarity = semantic.similarities(domain, text)
    share = lexical / top_lexical
    ranking = similarity + LEXICAL_WEIGHT * share
    order = sorted(range(len(ranking)), key=lambda i: (-float(ranking[i]), i))[:k]
    hits = tuple(Hit(index.articles[i], float(lexical[i]), float(similarity[i]), float(share[i])) for i in order)
    by_domain = domain_scores(text, language)
    best_domain = max(by_domain, key=by_domain.__getitem__)
    top, total = by_domain[best_domain], sum(by_domain.values())
    return Match(
        hits=hits,
        match_confidence=round(1.0 - math.exp(-top_lexical / index.scale), 4),
        domain_ratio=round(min(1.0, by_domain[domain] / top), 4) if top > 0 else 0.0,
        domain_share=round(by_domain[domain] / total, 4) if total > 0 else 0.0,
        best_domain=best_domain if top > 0 else None,
        out_of_scope_ratio=round(by_domain[OUT_OF_SCOPE] / by_domain[domain], 4) if by_domain[domain] > 0 else 0.0,
        equipment=named_equipment(text, language),
        matched_terms=index.matched_terms(text, language, hits[0].article),
        similarity_margin=round(float(np.diff(np.sort(similarity)[-2:])[0]), 4) if len(similarity) > 1 else 0.0,
        rival_similarity_lead=_rival_similarity_lead(domain, best_domain if top > 0 else None, similarity, text),
        ticket_terms=len(content_words(text, language)),
    )


def _rival_similarity_lead(domain: Domain, best_domain: str | None, similarity: np.ndarray, text: str) -> float:
    """How much closer the ticket sits to our runbooks than to the lexically best other domain's, in the
    encoder: one shared word can make another domain win on BM25 ("oficina" beside a laptop that will
    not power on makes the network runbooks win)."""
    if best_domain not in DOMAINS or best_domain == domain or not len(similarity):
        return 0.0
    rival = semantic.similarities(cast(Domain, best_domain), text)
    return round(float(similarity.max() - rival.max()), 4)
