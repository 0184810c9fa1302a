"""The rule catalogue: every rule's ID, title, severity, status and where it is enforced (public)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path

from facegate import policy

from ..responses import Rule

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
    }


@router.get("/rules", response_model=list[Rule])
def list_rules() -> list[dict[str, Any]]:
    """Every rule of the catalogue."""
    return [rule_dict(r) for r in policy.RULES]


@router.get("/rules/{rule_id:path}", response_model=Rule)
def get_rule(rule_id: Annotated[str, Path(max_length=40)]) -> dict[str, Any]:
    """One rule by ID (IDs may hold a slash, e.g. CN25-6a/b)."""
    return rule_dict(policy.get_rule(rule_id))
