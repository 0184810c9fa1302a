"""The rule catalogue: every rule of regulation.md §4, by instrument, and the rules a set of profiles applies."""

from typing import Any

from facegate.errors import InputError
from facegate.policy.profiles import get_profile
from facegate.policy.rule import Rule
from facegate.policy.rules import accuracy, bipa, cn23, cn25, consistency, euai, fg, prc
from facegate.policy.settings import Settings

RULES: tuple[Rule, ...] = (
    *cn25.RULES, *cn23.RULES, *prc.RULES, *accuracy.RULES, *fg.RULES, *consistency.RULES, *bipa.RULES, *euai.RULES,
)
_BY_ID = {rule.id: rule for rule in RULES}


def get_rule(rule_id: str) -> Rule:
    """The rule with this ID; an unknown ID is an input error."""
    try:
        return _BY_ID[rule_id]
    except KeyError:
        raise InputError(f"unknown rule {rule_id!r}") from None


def citation(rule_ids: list[str]) -> dict[str, Any]:
    """What a refusal cites besides its rule IDs (regulation.md §1): profile, severity and status of its first rule
    in the catalogue (BLOCK when any of them blocks), and those of each of its rules."""
    rules = [_BY_ID[r] for r in rule_ids if r in _BY_ID]
    if not rules:
        return {}
    severity = "BLOCK" if any(r.severity == "BLOCK" for r in rules) else rules[0].severity
    each = [{"id": r.id, "profiles": list(r.profiles), "severity": r.severity, "status": r.status} for r in rules]
    return {"profile": rules[0].profiles[0], "severity": severity, "status": rules[0].status, "rules": each}


def rules_for(profiles: list[str] | tuple[str, ...], settings: Settings | None = None) -> list[Rule]:
    """The rules any of `profiles` applies (with inherited profiles and §8 hardening flags), in catalogue order."""
    settings = settings or Settings()
    names = [get_profile(name).name for name in profiles]
    return [rule for rule in RULES if any(rule.applies(name, settings) for name in names)]


def supporting(rule: Rule, profile: str, settings: Settings | None = None) -> tuple[str, ...]:
    """The rule's own ID, the IDs it cites, and every rule of `profile` carried out via it."""
    settings = settings or Settings()
    backers = [r.id for r in RULES if rule.id in r.via and r.applies(profile, settings)]
    return tuple(dict.fromkeys((rule.id, *rule.cites, *backers)))


__all__ = ["RULES", "Rule", "get_rule", "rules_for", "supporting"]
