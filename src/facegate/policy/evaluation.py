"""Checking a deployment spec against one or more profiles: findings that cite rule IDs, and a verdict."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from facegate.policy.accuracy import OperatingPoints
from facegate.policy.profiles import DEFAULT_PROFILE, get_profile
from facegate.policy.rule import SEVERITY_ORDER, CheckContext, Confirmation, Severity
from facegate.policy.rules import get_rule, rules_for, supporting
from facegate.policy.settings import Settings
from facegate.policy.spec import Deployment

Verdict = Literal["allowed", "allowed_with_warnings", "blocked"]


@dataclass(frozen=True)
class Finding:
    """One thing a rule found in a spec: the rule, severity, field, what to change, and every ID behind it."""

    rule: str
    severity: Severity
    field: str | None
    message: str
    cites: tuple[str, ...]
    profiles: tuple[str, ...]
    status: Confirmation
    questions: tuple[str, ...] = ()
    message_zh: str = ""  # the message in simplified Chinese, empty where the rule has none yet

    def to_dict(self) -> dict[str, Any]:
        """The finding in DESIGN.md's JSON shape, plus its IDs, profiles, status, §8 questions and Chinese message."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "field": self.field,
            "message": self.message,
            "rule_ids": list(self.cites),
            "profiles": list(self.profiles),
            "status": self.status,
            "questions": list(self.questions),
            "message_zh": self.message_zh,
        }


@dataclass(frozen=True)
class Evaluation:
    """The findings for one deployment under the profiles applied, and the verdict they add up to."""

    deployment: str
    profiles: tuple[str, ...]
    findings: tuple[Finding, ...]
    settings: Settings = field(default_factory=Settings)

    @property
    def verdict(self) -> Verdict:
        """'blocked' if any finding blocks, 'allowed_with_warnings' if any warns, else 'allowed'."""
        severities = {f.severity for f in self.findings}
        if "BLOCK" in severities:
            return "blocked"
        return "allowed_with_warnings" if "WARN" in severities else "allowed"

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """The BLOCK findings."""
        return tuple(f for f in self.findings if f.severity == "BLOCK")

    @property
    def blocking_rule_ids(self) -> list[str]:
        """Every rule ID behind a BLOCK finding (cited instruments included), in order, without repeats."""
        return list(dict.fromkeys(i for f in self.blocking for i in f.cites))

    def to_dict(self) -> dict[str, Any]:
        """The report in the JSON shape of DESIGN.md (`facegate check --json`)."""
        out: dict[str, Any] = {
            "deployment": self.deployment,
            "profiles": list(self.profiles),
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.settings.overrides:
            out["interpretations"] = [
                {"question": o.question, "key": o.key, "value": o.value, "justification": o.justification}
                for o in self.settings.overrides
            ]
        return out


def evaluate(
    spec: Deployment,
    profiles: Sequence[str] = (DEFAULT_PROFILE,),
    *,
    today: date,
    settings: Settings | None = None,
    accuracy: OperatingPoints | None = None,
) -> Evaluation:
    """Check `spec` against every rule of `profiles` as of `today`; one finding per rule, field and message.

    `accuracy` is the calibrated error rates of the model that will run the deployment (ACC-1 reads them).
    """
    settings = settings or Settings()
    names = tuple(dict.fromkeys(profiles)) or (DEFAULT_PROFILE,)
    merged: dict[tuple[str, str | None, str], Finding] = {}
    for name in names:
        ctx = CheckContext(get_profile(name), settings, today, accuracy)
        for rule in rules_for([name], settings):
            if rule.check is None:
                continue
            for v in rule.check(spec, ctx):
                severity = _milder(rule.severity, v.severity)
                key = (rule.id, v.field, v.message)
                previous = merged.get(key)
                own = supporting(rule, name, settings)
                cites = own
                if v.law:  # the law the fact breaches first (with what backs it), then the policy that read it
                    law = (i for law_id in v.law for i in supporting(get_rule(law_id), name, settings))
                    cites = tuple(dict.fromkeys((*law, *own)))
                if previous is not None:
                    both = (*previous.cites, *cites)
                    if v.law:  # under every profile, the law still first
                        both = (*(i for i in both if i not in own), *own)
                    merged[key] = Finding(
                        rule.id, previous.severity, v.field, v.message, tuple(dict.fromkeys(both)),
                        (*previous.profiles, name),
                        rule.status, previous.questions, previous.message_zh,
                    )  # fmt: skip
                    continue
                questions = tuple(dict.fromkeys((*v.questions, *_overridden(rule.questions, settings))))
                merged[key] = Finding(
                    rule.id, severity, v.field, v.message, cites, (name,), rule.status, questions, v.zh
                )
    findings = sorted(merged.values(), key=lambda f: SEVERITY_ORDER[f.severity])
    return Evaluation(spec.id, names, tuple(findings), settings)


def _milder(rule: Severity, asked: Severity | None) -> Severity:
    if asked is None:
        return rule
    if SEVERITY_ORDER[asked] < SEVERITY_ORDER[rule]:
        raise ValueError(f"a check may not raise a finding above its rule's severity ({asked} > {rule})")
    return asked


def _overridden(questions: tuple[str, ...], settings: Settings) -> tuple[str, ...]:
    # A finding cites a §8 question the rule depends on whenever that setting was changed from its default.
    changed = {o.question for o in settings.overrides}
    return tuple(q for q in questions if q in changed)
