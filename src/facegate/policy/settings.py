"""The open interpretation questions of regulation.md §8 as settings with their conservative defaults."""

from dataclasses import dataclass, field
from typing import Any

from facegate.errors import InputError
from facegate.policy.profiles import INFERENCE_LISTS, LOCATION_GROUPS


@dataclass(frozen=True)
class Question:
    """One open question: its number, config key, conservative default and the values it accepts."""

    number: str
    key: str
    question: str
    default: Any
    choices: tuple[Any, ...] = ()


QUESTIONS: tuple[Question, ...] = (
    Question("Q1", "filing.count_mode", "Filing count: currently stored or cumulative?", "cumulative",
             ("cumulative", "currently_stored")),
    Question("Q2", "calendar.working_days", "Counting 30 working days.", "prc_state_council",
             ("prc_state_council", "calendar_days")),
    Question("Q3", "minors.boundary", "Is the 14th birthday itself 'under 14'?", "under_14_through_birthday",
             ("under_14_through_birthday", "adult_from_14th_birthday")),
    Question("Q4", "inference_denylist", "Does CN25 ban attribute inference?", "profile"),
    Question("Q5", "storage.device_definition", "What is 'the device' for server-side 1:N?", "capture_endpoint",
             ("capture_endpoint", "capture_endpoint_and_on_premises_server")),
    Question("Q6", "storage.raw_image_discard", "Raw-image discard under CN25 (draft-only rule)?", True,
             (True, False)),
    Question("Q7", "filing.on_overdue", "Effect of an overdue filing?", "block_new_enrollment",
             ("block_new_enrollment", "warn_only")),
    Question("Q8", "filing.change_triggers", "What is a 'substantive change'?",
             ("filed_item_change", "stored_count_band_change", "pia_new_version")),
    Question("Q9", "filing.aggregation", "Counting entity; must entrusted processors file?",
             "legal_entity_warn_processors", ("legal_entity_warn_processors", "group_roll_up")),
    Question("Q10", "deletion.backup_policy", "Deletion from backups.", "live_now_backups_next_rotation",
             ("live_now_backups_next_rotation",)),
    Question("Q11", "reprompt_block_hours", "Re-prompt window after refusal (hours).", 48),
    Question("Q12", "alternative.sla", "Metric for 'reasonable and convenient'.", "no_fee_first_screen_reported_sla"),
    Question("Q13", "location_blocklist", "Catch-all locations; device scope.", "profile"),
    Question("Q14", "incident.major_threshold", "What is a 'major security incident'?", "major",
             ("major", "critical")),
    Question("Q15", "minors.unknown_age", "Unknown age where children are likely.", "treat_as_minor",
             ("treat_as_minor", "treat_as_adult")),
    Question("Q16", "consent.written_form", "Form of 'written' consent.", "signed_artefact",
             ("signed_artefact",)),
    Question("Q17", "bipa.damages_mode", "BIPA per-person damages after the 2024 amendment.", "per_violation",
             ("per_violation", "per_person")),
    # facegate's own policies (regulation.md §4.7 FG-n): on by default, off only with a recorded justification.
    Question("FG-1", "fg.minors_no_identification", "Refuse 1:N identification of under-14s?", True, (True, False)),
    Question("FG-2", "fg.minors_on_device_only", "Keep under-14s' facial data on the device, with no recipients?",
             True, (True, False)),
    Question("FG-6–11, FG-14", "fg.text_reading", "Read the spec's own words against its tokens?", True, (True, False)),
    Question("FG-12", "fg.decisive_facts", "Require decisive facts (recipients' country, minors, alternatives' fee "
             "and wait) to be stated?", True, (True, False)),
    Question("FG-13", "fg.retention_maximum", "Cap retention at the maximum for the purpose category?", True,
             (True, False)),
)  # fmt: skip
_BY_KEY = {q.key: q for q in QUESTIONS}


@dataclass(frozen=True)
class Override:
    """A setting changed from its conservative default, with the recorded justification §8 requires."""

    question: str
    key: str
    value: Any
    justification: str


@dataclass(frozen=True)
class Settings:
    """The answers to §8's open questions: the conservative defaults unless overridden with a justification."""

    overrides: tuple[Override, ...] = field(default=())

    def get(self, key: str) -> Any:
        """The value of the setting `key` (e.g. 'reprompt_block_hours')."""
        question = _question(key)
        for override in reversed(self.overrides):
            if override.key == key:
                return override.value
        return question.default

    def question(self, key: str) -> str:
        """The §8 question number behind `key`, for findings to cite."""
        return _question(key).number

    def override(self, key: str, value: Any, justification: str) -> "Settings":
        """A copy with `key` set to `value`; refused without a justification or with a value §8 does not allow."""
        question = _question(key)
        if not justification or not justification.strip():
            raise InputError(f"overriding {key} ({question.number}) needs a recorded justification")
        if question.choices and value not in question.choices:
            allowed = ", ".join(map(str, question.choices))
            raise InputError(f"{key} ({question.number}) cannot be {value!r}: use one of {allowed}")
        if key == "reprompt_block_hours" and (not isinstance(value, int) or value < 0):
            raise InputError(f"{key} ({question.number}) must be a whole number of hours, 0 or more")
        lists = {"inference_denylist": INFERENCE_LISTS, "location_blocklist": LOCATION_GROUPS}.get(key)
        if lists is not None and value != "profile" and (
            not isinstance(value, list | tuple) or not value or any(v not in lists for v in value)
        ):
            raise InputError(f"{key} ({question.number}) must be 'profile' or a list of: {', '.join(lists)}")
        return Settings((*self.overrides, Override(question.number, key, value, justification.strip())))


def _question(key: str) -> Question:
    try:
        return _BY_KEY[key]
    except KeyError:
        raise InputError(f"unknown setting {key!r}: use one of {', '.join(_BY_KEY)}") from None
