"""The runbook articles of each specialist: versioned YAML under data/knowledge, validated on load.

Articles are data so that the service desk can correct a step or add a keyword without a release;
the loader refuses an article that lacks a language, a step or an id of its domain.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

KNOWLEDGE_DIR = Path(__file__).resolve().parents[2] / "data" / "knowledge"
LANGUAGES = ("en", "de", "es", "fr", "pt")
Domain = Literal["network", "software_cloud", "hardware"]
DOMAINS: tuple[Domain, ...] = ("network", "software_cloud", "hardware")
Fact = Literal["os", "error", "since", "device", "application", "host"]
"""Facts an article may need before its steps can be given (see tools.knowledge.entities)."""

_PREFIX = {"network": "NET-", "software_cloud": "SWC-", "hardware": "HW-"}


def _complete(value: dict[str, str], what: str) -> dict[str, str]:
    missing = [lang for lang in LANGUAGES if not (value.get(lang) or "").strip()]
    if missing:
        raise ValueError(f"{what} lacks {', '.join(missing)}")
    return {lang: value[lang].strip() for lang in LANGUAGES}


class Article(BaseModel):
    """One runbook: what it looks like, how to check, what to do, when to hand it to a person."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^(NET|SWC|HW)-\d{3}$")
    title: dict[str, str]
    symptoms: list[str] = Field(min_length=1)
    diagnostics: list[str] = Field(min_length=1)
    steps: list[dict[str, str]] = Field(min_length=2, max_length=12)
    escalate: str = Field(min_length=10)
    requires: list[Fact] = Field(default_factory=list)
    keywords: dict[str, list[str]]

    @field_validator("title")
    @classmethod
    def _title_in_all_languages(cls, value: dict[str, str]) -> dict[str, str]:
        return _complete(value, "title")

    @field_validator("steps")
    @classmethod
    def _steps_in_all_languages(cls, value: list[dict[str, str]]) -> list[dict[str, str]]:
        return [_complete(step, f"step {i}") for i, step in enumerate(value, 1)]

    @field_validator("keywords")
    @classmethod
    def _keywords_in_all_languages(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        missing = [lang for lang in LANGUAGES if not value.get(lang)]
        if missing:
            raise ValueError(f"keywords lack {', '.join(missing)}")
        return {lang: [k.strip() for k in value[lang] if k.strip()] for lang in LANGUAGES}

    def steps_in(self, language: str) -> list[str]:
        """The numbered steps in `language` (English when the language is not one of the five)."""
        lang = language if language in LANGUAGES else "en"
        return [step[lang] for step in self.steps]

    def title_in(self, language: str) -> str:
        return self.title[language if language in LANGUAGES else "en"]


class KnowledgeBase(BaseModel):
    """All articles of one specialist's domain, with the version they were authored under."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    domain: Domain
    agent: Literal["Jon", "June", "Maya"]
    version: str
    provenance: str
    articles: tuple[Article, ...]

    @model_validator(mode="after")
    def _ids_unique_and_of_this_domain(self) -> KnowledgeBase:
        ids = [a.id for a in self.articles]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{self.domain}: duplicate article ids")
        foreign = [i for i in ids if not i.startswith(_PREFIX[self.domain])]
        if foreign:
            raise ValueError(f"{self.domain}: ids of another domain: {', '.join(foreign)}")
        return self

    def get(self, article_id: str) -> Article | None:
        return next((a for a in self.articles if a.id == article_id), None)


class OutOfScopeTopic(BaseModel):
    """A non-IT topic (payroll, purchasing, ...): contrast for the domain check, never resolved."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^OOS-\d{3}$")
    title: str
    keywords: dict[str, list[str]]
    equipment: bool = False
    """Building equipment (appliances, lifts, doors): a ticket naming one of these things and no IT
    device or application is about that thing, whatever failure words it uses."""
    english_only: tuple[str, ...] = ()
    """English keywords that mean something else in another language ("salary", French "salarié"):
    matched only in English tickets, like the title."""

    @field_validator("keywords")
    @classmethod
    def _keywords_in_all_languages(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return Article._keywords_in_all_languages(value)

    @model_validator(mode="after")
    def _english_only_are_english_keywords(self) -> OutOfScopeTopic:
        unknown = set(self.english_only) - set(self.keywords["en"])
        if unknown:
            raise ValueError(f"english_only names no English keyword: {', '.join(sorted(unknown))}")
        return self


@lru_cache(maxsize=1)
def load_out_of_scope() -> tuple[OutOfScopeTopic, ...]:
    """Load `data/knowledge/out_of_scope.yaml` once per process."""
    raw = yaml.safe_load((KNOWLEDGE_DIR / "out_of_scope.yaml").read_text(encoding="utf-8"))
    return tuple(OutOfScopeTopic.model_validate(topic) for topic in raw["topics"])


@lru_cache(maxsize=len(DOMAINS))
def load_knowledge(domain: Domain) -> KnowledgeBase:
    """Load and validate `data/knowledge/<domain>.yaml` once per process."""
    path = KNOWLEDGE_DIR / f"{domain}.yaml"
    return KnowledgeBase.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
