"""A deployment's lifecycle as pure functions: draft -> active -> needs_reassessment -> retired, and stale consents."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from facegate.errors import InputError, RefusedError, TransitionError
from facegate.policy.answers import stated
from facegate.policy.evaluation import evaluate
from facegate.policy.notice import notice_fields
from facegate.policy.profiles import DEFAULT_PROFILE, REASSESSMENT_TRIGGERS
from facegate.policy.settings import Settings
from facegate.policy.spec import Deployment

Operation = Literal["enroll", "verify", "identify", "delete"]
INCIDENT_LEVELS = ("minor", "moderate", "major", "critical")


class Status(StrEnum):
    """Where a deployment is in its life."""

    DRAFT = "draft"
    ACTIVE = "active"
    NEEDS_REASSESSMENT = "needs_reassessment"
    RETIRED = "retired"


@dataclass(frozen=True)
class Change:
    """One trigger of regulation.md §5.6 raised by a change of spec: its name and the field that changed."""

    trigger: str
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Staleness:
    """Which consents a change makes stale (CN25-6e): the triggers and the kinds of consent to ask again."""

    triggers: tuple[Change, ...]
    consents: tuple[str, ...]

    @property
    def stale(self) -> bool:
        """Whether any consent must be asked again before processing continues."""
        return bool(self.consents)


def _diff(old: Deployment, new: Deployment) -> list[Change]:
    def dump(value: Any) -> Any:
        return value.model_dump() if hasattr(value, "model_dump") else value

    changes: list[Change] = []

    def note(trigger: str, field: str, before: Any, after: Any) -> None:
        if dump(before) != dump(after):
            changes.append(Change(trigger, field, dump(before), dump(after)))

    note("purpose_change", "purpose.category", old.purpose.category, new.purpose.category)
    note("purpose_change", "purpose.description", old.purpose.description, new.purpose.description)
    note("modality_change", "modality", old.modality, new.modality)
    note("method_change", "capture", old.capture, new.capture)
    note("storage_location_change", "storage.location", old.storage.location, new.storage.location)
    note("method_change", "storage.transmission_consent", old.storage.transmission_consent,
         new.storage.transmission_consent)  # fmt: skip
    note("recipients_change", "recipients", old.recipients, new.recipients)
    if old.context == "rnd_algorithm_training" and new.context == "production":
        changes.append(Change("rnd_to_production", "context", old.context, new.context))
    note("data_type_change", "storage.raw_images", old.storage.raw_images, new.storage.raw_images)
    note("data_type_change", "analyses", sorted(old.analyses), sorted(new.analyses))
    note("data_type_change", "minors.expected", old.minors.expected, new.minors.expected)
    return changes


ENGINE_METHOD_CHANGES = REASSESSMENT_TRIGGERS["pia_engine_as_method_change"]


def _legal(change: Change) -> str:
    # The engine reads its finer method changes as the law's "change of method" (regulation.md §5.6).
    return "method_change" if change.trigger in ENGINE_METHOD_CHANGES else change.trigger


def reassessment_triggers(old: Deployment, new: Deployment) -> list[Change]:
    """The §5.6 changes from `old` to `new` that require a new impact assessment (CN25-9d)."""
    wanted = {*REASSESSMENT_TRIGGERS["pia_legal"], *ENGINE_METHOD_CHANGES, "data_type_change"}
    return [c for c in _diff(old, new) if c.trigger in wanted]


def stale_consents(old: Deployment, new: Deployment) -> Staleness:
    """Which consents the change from `old` to `new` makes stale (§5.6 consent_staleness; CN25-6e)."""
    staleness = REASSESSMENT_TRIGGERS["consent_staleness"]
    triggers = tuple(c for c in _diff(old, new) if _legal(c) in staleness)
    if not triggers:
        return Staleness((), ())
    kinds = ["facial_processing"]  # the separate consent (a guardian's for under-14s) to this processing
    fields = {c.field for c in triggers}
    if new.off_device and fields & {"storage.location", "storage.transmission_consent", "recipients"}:
        kinds.append("external_transmission")
    if any(r.abroad for r in new.recipients) and "recipients" in fields:
        kinds.append("cross_border")
    if new.storage.raw_images == "retain_with_consent" and "storage.raw_images" in fields:
        kinds.append("raw_image_retention")
    return Staleness(triggers, tuple(kinds))


def filing_changes(old: Deployment, new: Deployment) -> list[Change]:
    """The changes from `old` to `new` that require updating a filing within 30 working days (CN25-15d/e, Q8)."""
    changes = [Change(_legal(c), c.field, c.old, c.new) for c in _diff(old, new) if _legal(c) != "data_type_change"]
    if old.security != new.security:
        changes.append(Change("security_measures_change", "security", old.security.model_dump(),
                              new.security.model_dump()))  # fmt: skip
    old_rules = {f.name: f.value for f in notice_fields(old)}
    new_rules = {f.name: f.value for f in notice_fields(new)}
    for name in old_rules:
        if old_rules[name] != new_rules[name] and name not in ("purposes", "methods"):
            changes.append(Change("rules_or_procedures_change", f"notice:{name}", old_rules[name], new_rules[name]))
    old_version = old.impact_assessment.version if old.impact_assessment else 0
    new_version = new.impact_assessment.version if new.impact_assessment else 0
    if new_version > old_version:
        changes.append(Change("pia_new_version", "impact_assessment.version", old_version, new_version))
    return changes


def renotification_needed(old: Deployment, new: Deployment) -> bool:
    """Whether the notice's content changed, so every subject must see it again before capture (CN25-5c)."""
    return [f.value for f in notice_fields(old)] != [f.value for f in notice_fields(new)]


def activate(
    status: Status,
    spec: Deployment,
    *,
    today: date,
    profiles: Sequence[str] = (DEFAULT_PROFILE,),
    settings: Settings | None = None,
    reassessment_since: date | None = None,
) -> Status:
    """Draft or needs_reassessment -> active, refused (with rule IDs) on any BLOCK finding or unapproved assessment."""
    if status not in (Status.DRAFT, Status.NEEDS_REASSESSMENT):
        raise TransitionError(f"a deployment that is {status} cannot be activated")
    report = evaluate(spec, profiles, today=today, settings=settings)
    if report.blocking:
        fields = ", ".join(dict.fromkeys(str(f.field) for f in report.blocking))
        raise RefusedError(f"deployment {spec.id} has blocking findings ({fields})", report.blocking_rule_ids)
    pia = spec.impact_assessment
    if pia is None or not stated(pia.approved_by) or pia.approved_on is None or pia.approved_on > today:
        raise RefusedError(f"deployment {spec.id} has no approved impact assessment", ["CN25-9a/b", "PIPL-55/56"])
    if status == Status.NEEDS_REASSESSMENT and reassessment_since is not None and pia.approved_on < reassessment_since:
        raise RefusedError(
            f"the impact assessment of {spec.id} was approved on {pia.approved_on}, before the change of "
            f"{reassessment_since} that requires a new one",
            ["CN25-9d", "PIPL-55/56"],
        )
    return Status.ACTIVE


def after_change(status: Status, old: Deployment, new: Deployment) -> Status:
    """The status after replacing spec `old` by `new`: a §5.6 trigger sends an active deployment to reassessment."""
    if status == Status.RETIRED:
        raise TransitionError(f"deployment {old.id} is retired; create a new deployment instead of changing it")
    if renotification_needed(old, new) and new.notice.version <= old.notice.version:
        raise RefusedError(
            f"the notice of {new.id} changed but notice.version stayed {new.notice.version}; raise it so every "
            "subject sees the new notice before capture",
            ["CN25-5c", "PIPL-17"],
        )
    if status == Status.ACTIVE and reassessment_triggers(old, new):
        return Status.NEEDS_REASSESSMENT
    return status


def after_incident(status: Status, level: str, *, off_device_movement: bool = False,
                   settings: Settings | None = None) -> Status:  # fmt: skip
    """The status after a security incident: a major one (§8 Q14) reopens the impact assessment (CN25-9d)."""
    if level not in INCIDENT_LEVELS:
        raise InputError(f"unknown incident level {level!r}: use one of {', '.join(INCIDENT_LEVELS)}")
    threshold = (settings or Settings()).get("incident.major_threshold")
    major = off_device_movement or INCIDENT_LEVELS.index(level) >= INCIDENT_LEVELS.index(threshold)
    if status == Status.ACTIVE and major:
        return Status.NEEDS_REASSESSMENT
    return status


def retire(status: Status) -> Status:
    """Any status -> retired; the filing must then be cancelled and the data disposed of (CN25-15d/e)."""
    if status == Status.RETIRED:
        raise TransitionError("the deployment is already retired")
    return Status.RETIRED


def check_operation(status: Status, spec: Deployment, operation: Operation) -> None:
    """Refuse (RefusedError with rule IDs) a biometric operation the deployment's status or spec does not allow."""
    if operation == "delete":
        return  # withdrawal and deletion work in every status (CN25-6d)
    if status == Status.DRAFT:
        raise RefusedError(f"deployment {spec.id} is not active yet", ["CN25-9a/b", "PIPL-55/56"])
    if status == Status.NEEDS_REASSESSMENT:
        raise RefusedError(f"deployment {spec.id} changed and needs a new impact assessment", ["CN25-9d"])
    if status == Status.RETIRED:
        raise RefusedError(f"deployment {spec.id} is retired", ["CN25-15d/e", "PIPL-47"])
    if spec.context == "rnd_algorithm_training":
        raise RefusedError(f"deployment {spec.id} is for R&D and algorithm training, never live", ["CN25-2"])
    if operation == "identify" and spec.modality == "verification":
        raise RefusedError(f"deployment {spec.id} is registered for 1:1 verification only", ["CN25-4b"])
