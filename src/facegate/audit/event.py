"""An audit event: who did what, where, for which purpose, with which decision; never biometric data."""

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from facegate.errors import InputError
from facegate.events import ENTRY_VERSION, Op

OPTIONAL_FIELDS = ("gallery_size", "target_fpir_ppm", "threshold_milli", "candidates", "attestation")

# Short tokens only: no spaces, brackets or commas, so no number list or blob fits in a field by accident.
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.:-]{0,63}$")]
Token = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@+/=-]{0,127}$")]
Actor = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,31}:[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,9}(-[A-Za-z0-9][A-Za-z0-9/.–-]{0,23})?$")]


class Attestation(BaseModel):
    """A reviewer's attestation of a claim (regulation.md §4.8): the claim, who attests, the document relied on."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    claim: Slug
    reviewer: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    document: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class Event(BaseModel):
    """One decision to record. Unknown fields, bytes, floats and arrays of numbers are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    actor: Actor = Field(description="who: `api_key:<id>`, `operator:<name>`, `system:<component>`, ...")
    operation: Op = Field(
        description="what: a member of facegate.events.Op (Op.ENROLL, Op.VERIFY, ...), never a string"
    )
    decision: Literal["allow", "refuse"]
    outcome: Slug = Field(description="what happened: match, no_match, enrolled, refused, error, ...")
    deployment: Slug | None = None
    purpose: Slug | None = None
    rule_ids: list[RuleId] = Field(default_factory=list, max_length=32)
    request_id: Token | None = None
    subject: Token | None = Field(default=None, description="an opaque subject ID, never a name or template")
    purged_before: int | None = Field(default=None, ge=0, description="audit.purge only: first kept index")
    # identify only: the operating point of the 1:N decision (ACC-1), in integers so that no distance fits here
    gallery_size: int | None = Field(default=None, ge=0, description="identify only: subjects searched")
    target_fpir_ppm: int | None = Field(
        default=None, ge=0, le=1_000_000, description="identify only: the target FPIR in parts per million"
    )
    threshold_milli: int | None = Field(
        default=None, ge=0, le=100_000, description="identify only: the decision threshold set for the gallery, x1000"
    )
    candidates: int | None = Field(default=None, ge=0, description="identify with human review: candidates listed")
    attestation: Attestation | None = Field(default=None, description="deployment.attest only: what was attested")
    event_id: Token = Field(default_factory=lambda: str(uuid.uuid4()))
    at: AwareDatetime | None = Field(default=None, description="when; the append time when omitted")

    @field_validator("operation", mode="before")
    @classmethod
    def _an_op(cls, value: object) -> object:
        """An operation nobody declared never reaches the log: a plain string (even a known one) is refused."""
        if not isinstance(value, Op):
            raise ValueError(
                f"the operation is a member of facegate.events.Op (Op.VERIFY, ...), not a {type(value).__name__}"
            )
        return value


def event_from(value: "Event | dict[str, Any]") -> Event:
    """Validate `value` as an Event; the error names the offending field but never echoes its value."""
    if isinstance(value, Event):
        return value
    if not isinstance(value, dict):
        raise InputError(f"an audit event is a mapping of fields, not {type(value).__name__}")
    try:
        return Event.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'event'}: {err['msg']}" for err in exc.errors())
        raise InputError(f"audit event refused: {problems}") from None


def format_time(at: datetime) -> str:
    """RFC 3339 UTC with microseconds, e.g. 2026-01-02T03:04:05.000006Z."""
    if at.tzinfo is None:
        raise InputError("audit event time must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_object(index: int, event: Event, at: datetime) -> dict[str, Any]:
    """The logged entry: the event's fields plus its index, time and format version."""
    entry = event.model_dump(exclude={"at"})
    for key in OPTIONAL_FIELDS:  # absent rather than null, so entries of other operations keep their bytes
        if entry[key] is None:
            del entry[key]
    entry.update(v=ENTRY_VERSION, index=index, at=format_time(at))
    return entry


def canonical(entry: dict[str, Any]) -> bytes:
    """The bytes that are hashed: sorted-key compact JSON in UTF-8."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
