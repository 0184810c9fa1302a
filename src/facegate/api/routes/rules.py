"""The rule catalogue: every rule's ID, title, severity, status and where it is enforced (public)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import Field

from facegate import policy
from facegate.errors import NotFoundError
from facegate.policy import provisions, vocabulary

from ..paging import Cursor, Limit, page_of
from ..responses import Answer, Provision, Rule, VocabularyTerm

router = APIRouter(prefix="/api/v1", tags=["rules"])


class ProvisionPage(Answer):
    """A page of the provision registry, by ID."""

    items: list[Provision]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class VocabularyPage(Answer):
    """A page of a vocabulary's terms, by value."""

    items: list[VocabularyTerm]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class RulePage(Answer):
    """A page of the rule catalogue, by ID."""

    items: list[Rule]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


def rule_dict(rule: policy.Rule) -> dict[str, Any]:
    """A rule as JSON (the shape of `facegate rules --json`)."""
    return {
        "id": rule.id,
        "title": rule.title,
        "severity": rule.severity,
        "status": rule.status,
        "profiles": list(rule.profiles),
        "enforced_at": list(rule.where),
        "cites": list(rule.cites),
        "questions": list(rule.questions),
        "hardening_flag": rule.flag,
        "note": rule.note,
        "serves": list(rule.serves),
        "setting": rule.setting,
    }


@router.get("/provisions", response_model=ProvisionPage)
def list_provisions(limit: Limit = 100, cursor: Cursor = None) -> dict[str, Any]:
    """The registry of provisions a claim may name (regulation.md §4.8): instrument, article, claims, scope."""
    return page_of([p.to_dict() for p in provisions.REGISTRY], "id", limit, cursor)


@router.get("/vocabularies/{kind}", response_model=VocabularyPage)
def list_vocabulary(
    kind: Annotated[str, Path(max_length=40)], limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    """The allowed values of one closed vocabulary (location_type, premises_type, purpose, analysis, ...)."""
    if kind not in vocabulary.VOCABULARIES:
        raise NotFoundError(f"no vocabulary {kind!r}: use one of {', '.join(vocabulary.VOCABULARIES)}")
    terms = [vocabulary.term_dict(t) for t in vocabulary.VOCABULARIES[kind]]
    return page_of(terms, "value", limit, cursor)


@router.get("/rules", response_model=RulePage)
def list_rules(limit: Limit = 100, cursor: Cursor = None) -> dict[str, Any]:
    """The rules of the catalogue, by ID."""
    return page_of([rule_dict(r) for r in policy.RULES], "id", limit, cursor)


@router.get("/rules/{rule_id:path}", response_model=Rule)
def get_rule(rule_id: Annotated[str, Path(max_length=40)]) -> dict[str, Any]:
    """One rule by ID (IDs may hold a slash, e.g. CN25-6a/b)."""
    return rule_dict(policy.get_rule(rule_id))
