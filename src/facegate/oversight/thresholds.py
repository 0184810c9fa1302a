"""Each profile's filing duty as numbers (regulation.md §6): threshold, operator, warnings, deadlines, rule IDs."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from facegate.policy.profiles import get_profile, lineage, profile_names

# Rule IDs behind each task, per profile (regulation.md §4.1, §4.2).
FILING_RULES = {
    "cn2025": ("CN25-15a/b", "CN25-15c", "CN25-FA-2"),
    "cn2023-draft": ("CN23-T13",),
}
LEGACY_RULES = ("CN25-FA-1", "CN25-15c")
CHANGE_RULES = {"cn2025": ("CN25-15d/e",), "cn2023-draft": ("CN23-T13", "CN25-15d/e")}
CANCEL_RULES = {"cn2025": ("CN25-15d/e",), "cn2023-draft": ("CN23-T13", "CN25-15d/e")}
AUTHORITY = {
    "provincial": "the provincial-level (or higher) cyberspace administration where the handler is located",
    "municipal": "the municipal-level (or higher) cyberspace administration where the handler is located",
}


@dataclass(frozen=True)
class FilingDuty:
    """One profile's filing numbers: when the duty arises, when it is due, whom to file with, which rules say so."""

    profile: str
    threshold: int
    operator: str  # ">=" (cn2025: at least) or ">" (cn2023-draft: more than)
    public_place_trigger: bool
    deadline_working_days: int
    change_deadline_working_days: int
    cancel_deadline_working_days: int
    authority: str
    early_warnings: tuple[int, ...]
    legacy_deadline: date | None  # CN25-FA-1, only for a profile that is law
    effective_date: date | None
    include_trigger_day: bool
    binding: str

    @property
    def first_count(self) -> int:
        """The smallest count at which the duty arises (100,000 for >= 100,000; 10,001 for > 10,000)."""
        return self.threshold if self.operator == ">=" else self.threshold + 1

    def reached(self, count: int) -> bool:
        """Whether `count` stored individuals reach the threshold."""
        return count >= self.first_count

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The rule IDs of the initial filing."""
        return FILING_RULES.get(self.profile, ("CN25-15a/b", "CN25-15c"))

    @property
    def change_rule_ids(self) -> tuple[str, ...]:
        """The rule IDs of a change filing."""
        return CHANGE_RULES.get(self.profile, ("CN25-15d/e",))

    @property
    def cancel_rule_ids(self) -> tuple[str, ...]:
        """The rule IDs of a cancellation."""
        return CANCEL_RULES.get(self.profile, ("CN25-15d/e",))

    @property
    def condition(self) -> str:
        """The threshold in words, e.g. 'at least 100,000 individuals'."""
        words = "at least" if self.operator == ">=" else "more than"
        text = f"{words} {self.threshold:,} individuals"
        return text + " or any public-place deployment" if self.public_place_trigger else text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "profile": self.profile,
            "threshold": self.threshold,
            "operator": self.operator,
            "condition": self.condition,
            "first_count": self.first_count,
            "public_place_trigger": self.public_place_trigger,
            "early_warnings": list(self.early_warnings),
            "deadline_working_days": self.deadline_working_days,
            "authority": AUTHORITY.get(self.authority, self.authority),
            "rule_ids": list(self.rule_ids),
            "binding": self.binding,
        }


def filing_duty(profile: str) -> FilingDuty | None:
    """The filing duty of `profile`, or None when the profile has no filing numbers (bipa, eu-ai-act)."""
    numbers = get_profile(profile).numbers
    filing = numbers.get("filing")
    if not filing:
        return None
    threshold = int(filing["threshold_individuals"])
    days = int(filing["deadline_working_days"])
    levels = tuple(int(v) for v in filing.get("early_warning_levels", ()))
    if levels and max(levels) >= threshold:
        # cn2023-draft inherits cn2025's 80,000 / 95,000: keep the same shares of its own threshold.
        parent = get_profile(lineage(profile)[-1]).numbers["filing"]["threshold_individuals"]
        levels = tuple(threshold * v // parent for v in levels)
    law = numbers.get("binding") == "law"
    return FilingDuty(
        profile=profile,
        threshold=threshold,
        operator=str(filing.get("operator", ">=")),
        public_place_trigger=bool(filing.get("public_place_trigger", False)),
        deadline_working_days=days,
        change_deadline_working_days=int(filing.get("change_deadline_working_days", days)),
        cancel_deadline_working_days=int(filing.get("cancel_deadline_working_days", days)),
        authority=str(filing.get("authority", "provincial")),
        early_warnings=levels,
        legacy_deadline=filing.get("legacy_deadline") if law else None,
        effective_date=numbers.get("effective_date") if law else None,
        include_trigger_day=bool(numbers.get("calendar", {}).get("include_trigger_day", False)),
        binding=str(numbers.get("binding", "")),
    )


def filing_profiles(profiles: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The profiles (with the ones they inherit from) that carry a filing duty, in catalogue order."""
    wanted = {p for name in profiles for p in lineage(name)}
    return tuple(p for p in profile_names() if p in wanted and filing_duty(p) is not None)


def count_band(count: int, size: int) -> int:
    """The band of a stored count (0 below `size`, 1 from `size`, ...): a change of band is a change to file (Q8)."""
    return count // size if size > 0 else 0
