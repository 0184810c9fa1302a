"""The rule catalogue: every rule of regulation.md §4, by instrument, and the rules a set of profiles applies."""

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
