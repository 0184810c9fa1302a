"""The deployment spec (DESIGN.md's contract) as a typed model, parsed from YAML or JSON text."""

import json
from datetime import date
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from facegate.errors import InputError

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,62}$")]  # as the audit log and API expect
Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Level = Literal["low", "medium", "high"]
PurposeCategory = Literal[
    "identity_verification", "access_control", "attendance", "payment", "device_unlock", "account_recovery",
    "public_security", "customer_identification", "exam_proctoring", "marketing", "customer_analytics",
    "algorithm_training", "other",
]  # fmt: skip

# Answers that say nothing: a field holding one of these is treated as absent.
PLACEHOLDERS = frozenset({"", "...", "…", "-", "tbd", "todo", "n/a", "na", "none", "null", "unknown", "?", "待定"})


class Model(BaseModel):
    """Base of the spec's parts: unknown fields are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Handler(Model):
    """The legal entity that decides purpose and method: the unit of filing and counting."""

    name: Text = Field(min_length=1)
    contact: Text | None = None
    region: Text | None = None


class Purpose(Model):
    """What the deployment is for, and why face recognition is necessary and the least intrusive choice."""

    category: PurposeCategory
    description: Text | None = None
    necessity: Text | None = None
    least_impact: Text | None = None
    alternatives_analysis: Text | None = None  # why non-biometric solutions do not suffice (CN23-4a)


class Location(Model):
    """Where the capture devices are."""

    setting: Literal["public_place", "private_premises", "online"]
    type: Text | None = None
    signage: bool = False
    collection_area: Text | None = None


class Storage(Model):
    """Where facial data lives, whether it leaves the device, and for how long."""

    location: Literal["device", "on_premises", "cloud"] = "device"
    transmission_consent: bool = False
    raw_images: Literal["discard", "retain_with_consent", "retain_by_law"] = "discard"
    raw_image_retention_days: int | None = Field(default=None, ge=0)
    retention_days: int | None = Field(default=None, ge=0)
    retention_determination_method: Text | None = None
    retention_justification: Text | None = None


class Minors(Model):
    """Whether under-14s may be enrolled, and the special rules that then apply."""

    expected: bool = False
    rules_ref: Text | None = None


class AnalysisException(Model):
    """The exception (regulation.md §5.2) that allows an otherwise prohibited analysis, with its record."""

    basis: Literal[
        "national_security", "public_security", "emergency_life_health_property", "separate_consent",
        "medical", "safety",
    ]  # fmt: skip
    ref: Text | None = None


class Recipient(Model):
    """Another handler the facial data is provided to (PIPL-23)."""

    name: Text | None = None
    contact: Text | None = None
    purpose: Text | None = None
    method: Text | None = None
    pi_categories: list[Text] = []
    separate_consent: bool = False
    commercial: bool = False


class Watchlist(Model):
    """Bounds of a remote, passive identification: window, area and number of targets (CN23-T08)."""

    legal_basis_ref: Text | None = None
    time_window: Text | None = None
    geofence: Text | None = None
    target_cap: int | None = Field(default=None, ge=1)


class LawEnforcementException(Model):
    """The EU AI Act Art. 5(1)(h) exception behind real-time remote identification in public."""

    ground: Literal["victims_or_missing_persons", "imminent_threat_or_terrorism", "serious_offence_suspect"]
    offence_max_sentence_years: int | None = Field(default=None, ge=0)
    authorisation_ref: Text | None = None


class Gallery(Model):
    """Where the enrolled faces come from (EU AI Act Art. 5(1)(e))."""

    source: Literal["enrollment", "import", "internet_scrape", "cctv_footage"] = "enrollment"
    provenance_ref: Text | None = None


class Security(Model):
    """Security facts the handler records (CN25-14e)."""

    mlps_level: int | None = Field(default=None, ge=1, le=5)


class Risk(Model):
    """One row of the impact assessment's risk register."""

    harm: Text = Field(min_length=1)
    likelihood: Level | None = None
    severity: Level | None = None
    mitigation: Text | None = None
    owner: Text | None = None


class ImpactAssessment(Model):
    """The personal information protection impact assessment and its four sections (regulation.md §5.4)."""

    approved_by: Text | None = None
    approved_on: date | None = None
    version: int = Field(default=1, ge=1)
    lawfulness_necessity: Text | None = None
    rights_impact: Text | None = None
    security_risks: Text | None = None
    protection_measures: Text | None = None
    risks: list[Risk] = []


class Notice(Model):
    """The notice to individuals: its version, accessibility and the texts the spec alone cannot derive."""

    version: int = Field(default=1, ge=1)
    accessible: bool = False
    accessible_variants: list[Text] = []
    rights_impact: Text | None = None
    rights_exercise_procedure: Text | None = None
    retention_expiry_handling: Text | None = None
    other_legal_matters: Text | None = None
    complaint_channel: Text | None = None
    public_retention_schedule: Text | None = None
    consent_text: Text | None = None
    realtime_purpose_prompt: bool = False


class Deployment(Model):
    """One deployment of face recognition: who, what for, where, on what basis, and with what protections."""

    id: Slug
    name: Text = Field(min_length=1)
    handler: Handler
    context: Literal["production", "rnd_algorithm_training"] = "production"
    purpose: Purpose
    modality: Literal["verification", "identification"]
    capture: Literal["active", "passive"] = "active"
    location: Location
    premises_type: Text | None = None
    sector: Text | None = None
    legal_basis: Literal["separate_consent", "written_consent", "statutory", "contract"]
    legal_basis_ref: Text | None = None
    alternatives: list[Text] = []
    sole_method_ref: Text | None = None
    storage: Storage = Storage()
    recipients: list[Recipient] = []
    minors: Minors = Minors()
    analyses: list[Text] = []
    analysis_exception: AnalysisException | None = None
    human_review: bool = False
    watchlist: Watchlist | None = None
    law_enforcement_exception: LawEnforcementException | None = None
    gallery: Gallery = Gallery()
    identity_provider: Text | None = None
    device_certification_ref: Text | None = None
    security: Security = Security()
    impact_assessment: ImpactAssessment | None = None
    notice: Notice = Notice()

    @property
    def consent_based(self) -> bool:
        """Whether the legal basis is the subject's (separate or written) consent."""
        return self.legal_basis in ("separate_consent", "written_consent")

    @property
    def off_device(self) -> bool:
        """Whether facial data is stored anywhere but the capture device (regulation.md §8 Q5)."""
        return self.storage.location != "device"


def stated(text: str | None) -> bool:
    """Whether a free-text field says something (not absent, empty or a placeholder such as 'TBD')."""
    return text is not None and text.strip().rstrip(".。").strip().lower() not in PLACEHOLDERS


def parse_spec(text: str, format: Literal["yaml", "json"] = "yaml") -> Deployment:
    """Parse a deployment spec from YAML (or JSON) text; refuse an invalid one naming each offending field."""
    try:
        data = json.loads(text) if format == "json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InputError(f"not valid YAML: {problem}{where}") from None
    return spec_from_data(data)


def spec_from_data(data: Any) -> Deployment:
    """Validate already-parsed data (a mapping) as a deployment spec."""
    if not isinstance(data, dict):
        raise InputError("not a deployment spec: the top level must be a mapping with id, name, handler, ...")
    try:
        return Deployment.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"invalid deployment spec: {'; '.join(_describe(e) for e in exc.errors())}") from None


def _describe(error: Any) -> str:
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]).lstrip(".")
    field = field or "(top level)"
    kind = error["type"]
    if kind == "missing":
        return f"{field}: required field is missing"
    if kind == "extra_forbidden":
        if error.get("input") is None:
            return f"{field}: unknown field (if it is part of a value, quote the value: a comma in {{...}} splits it)"
        return f"{field}: unknown field"
    return f"{field}: {error['msg']}"
