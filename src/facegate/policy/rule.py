"""What a rule is: an ID from regulation.md, a severity, a status, its profiles and a check or a run-time room."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from facegate.policy.accuracy import OperatingPoints
from facegate.policy.profiles import Profile, inference_types, lineage, location_types
from facegate.policy.settings import Settings
from facegate.policy.spec import Deployment

Severity = Literal["BLOCK", "WARN", "INFO"]
Confirmation = Literal["C", "S", "U"]
SEVERITY_ORDER: dict[str, int] = {"BLOCK": 0, "WARN": 1, "INFO": 2}

# Where a rule is enforced: "check" is the static check of a deployment spec (this package); "policy" means
# the rule is a definition the catalogue itself carries; the others are the rooms that enforce it at run time.
ROOMS: tuple[str, ...] = ("check", "gate", "vault", "audit", "oversight", "policy")


@dataclass(frozen=True)
class Violation:
    """What a check found wrong with a spec: the field, what to change, and a milder severity if any.

    `zh` is the message in simplified Chinese, written beside the English with the same values (the console's
    Chinese pages show it); empty where a rule has none yet, and the page then shows the rule's title.
    `law` names the statutory rules the fact itself breaches where a facegate policy read it in the spec's words
    (a private space in the words is CN25-13a's): the finding cites them, with what backs them, ahead of the policy."""

    field: str | None
    message: str
    severity: Severity | None = None
    questions: tuple[str, ...] = ()
    zh: str = ""
    law: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckContext:
    """What a check may read besides the spec: the profile, the §8 settings, today's date, the model's error rates."""

    profile: Profile
    settings: Settings
    today: date
    accuracy: OperatingPoints | None = None

    @property
    def location_blocklist(self) -> tuple[str, ...]:
        """The prohibited location types: the profile's, unless §8 Q13 is overridden."""
        groups = self.settings.get("location_blocklist")
        return self.profile.location_blocklist if groups == "profile" else location_types(groups)

    @property
    def inference_denylist(self) -> tuple[str, ...]:
        """The prohibited analyses: the profile's, unless §8 Q4 is overridden."""
        lists = self.settings.get("inference_denylist")
        return self.profile.inference_denylist if lists == "profile" else inference_types(lists)


Check = Callable[[Deployment, CheckContext], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    """One rule of regulation.md §4: checked on a spec, enforced at run time, or carried out via another rule."""

    id: str
    title: str
    severity: Severity
    status: Confirmation
    profiles: tuple[str, ...]
    check: Check | None = field(default=None, compare=False)
    enforced_at: tuple[str, ...] = ()
    cites: tuple[str, ...] = ()
    via: tuple[str, ...] = ()
    flag: str | None = None
    questions: tuple[str, ...] = ()
    note: str = ""
    serves: tuple[str, ...] = ()  # for a facegate policy (FG-): the law it serves, never cited as that law
    setting: str | None = None  # for a facegate policy: the setting that turns it off (with a justification)

    def __post_init__(self) -> None:
        unknown = set(self.enforced_at) - set(ROOMS)
        if unknown:
            raise ValueError(f"{self.id}: unknown rooms {sorted(unknown)}")
        if self.check is None and not self.enforced_at and not self.via:
            raise ValueError(f"{self.id}: a rule needs a check, a run-time room or a rule it works via")

    @property
    def where(self) -> tuple[str, ...]:
        """Where the rule is enforced: 'check' for the spec check, the run-time rooms, or 'via <rule>'."""
        rooms = (("check",) if self.check else ()) + self.enforced_at
        return rooms + tuple(f"via {rule_id}" for rule_id in self.via)

    def applies(self, profile: str, settings: Settings) -> bool:
        """Whether the rule belongs to `profile` (or a profile it inherits), or a §8 hardening flag turns it on."""
        if any(name in self.profiles for name in lineage(profile)):
            return True
        return self.flag is not None and "cn2025" in lineage(profile) and bool(settings.get(self.flag))
