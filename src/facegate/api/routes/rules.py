"""The rule catalogue: every rule's ID, title, severity, status and where it is enforced (public)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path

from facegate import policy
from facegate.errors import NotFoundError
from facegate.policy import provisions, vocabulary

from ..responses import Provision, Rule, VocabularyTerm

router = APIRouter(prefix="/api/v1", tags=["rules"])


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


@router.get("/provisions", response_model=list[Provision])
def list_provisions() -> list[dict[str, Any]]:
    """The registry of provisions a claim may name (regulation.md §4.8): instrument, article, claims, scope."""
    return [p.to_dict() for p in provisions.REGISTRY]


@router.get("/vocabularies/{kind}", response_model=list[VocabularyTerm])
def list_vocabulary(kind: Annotated[str, Path(max_length=40)]) -> list[dict[str, Any]]:
    """The allowed values of one closed vocabulary (location_type, premises_type, purpose, analysis, ...)."""
    if kind not in vocabulary.VOCABULARIES:
        raise NotFoundError(f"no vocabulary {kind!r}: use one of {', '.join(vocabulary.VOCABULARIES)}")
    return [vocabulary.term_dict(t) for t in vocabulary.VOCABULARIES[kind]]


@router.get("/rules", response_model=list[Rule])
def list_rules() -> list[dict[str, Any]]:
    """Every rule of the catalogue."""
    return [rule_dict(r) for r in policy.RULES]


@router.get("/rules/{rule_id:path}", response_model=Rule)
def get_rule(rule_id: Annotated[str, Path(max_length=40)]) -> dict[str, Any]:
    """One rule by ID (IDs may hold a slash, e.g. CN25-6a/b)."""
    return rule_dict(policy.get_rule(rule_id))
