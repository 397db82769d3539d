"""Runbook knowledge of the specialists: articles, hybrid retrieval with a domain check, the runbook-fit
gate (`fit`), entities."""

from tools.knowledge.articles import DOMAINS, LANGUAGES, Article, Domain, KnowledgeBase, load_knowledge
from tools.knowledge.entities import Entities, extract_entities
from tools.knowledge.retrieval import OUT_OF_SCOPE, Hit, Match, domain_scores, retrieve

__all__ = [
    "DOMAINS",
    "LANGUAGES",
    "OUT_OF_SCOPE",
    "Article",
    "Domain",
    "Entities",
    "Hit",
    "KnowledgeBase",
    "Match",
    "domain_scores",
    "extract_entities",
    "load_knowledge",
    "retrieve",
]
