"""The deployment spec (DESIGN.md's contract) as a typed model (policy.parsing reads it from YAML or JSON text)."""

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from facegate.errors import InputError
from facegate.policy import vocabulary
from facegate.policy.answers import stated, stated_nothing, zero

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,62}$")]  # as the audit log and API expect
# YAML folding (>-) joins lines with a space; between two Chinese characters that space is not part of the text.
_FOLDED = re.compile(r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])")
Text = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(lambda s: _FOLDED.sub("", s))]
# A contact or a hotline written unquoted (complaint_channel: 12367) is read by YAML as a number: kept as its text.
Contact = Annotated[Text, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v)]
Level = Literal["low", "medium", "high"]
PurposeCategory = Literal[
    "identity_verification", "access_control", "attendance", "payment", "device_unlock", "account_recovery",
    "public_security", "customer_identification", "exam_proctoring", "marketing", "customer_analytics",
    "loss_prevention", "premises_security", "algorithm_training", "visitor_management", "other",
]  # fmt: skip

ORGAN_NAME = re.compile(
    r"公安(局|分局|厅|部)|派出所|出入境管理|public security (bureau|department|office)|"
    r"police (department|bureau|station)|exit.entry administration",
    re.IGNORECASE,
)
COMPANY_NAME = re.compile(r"有限公司|公司|co\.|ltd|inc\.|llc|corporation", re.IGNORECASE)


def _vocab(kind: str, field: str, prefer: str | None = None) -> Callable[[Any], Any]:
    """A before-validator that maps a free-text value to its canonical value in a closed vocabulary."""

    def check(value: Any) -> Any:
        if value is None or not isinstance(value, str):
            return value
        if not value.strip():
            return None
        try:
            return vocabulary.canonical(kind, value, field=field, prefer=prefer)
        except InputError as exc:
            raise ValueError(str(exc).split(": ", 1)[1]) from None

    return check


class Model(BaseModel):
    """Base of the spec's parts: unknown fields are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Handler(Model):
    """The legal entity that decides purpose and method: the unit of filing and counting."""

    name: Text = Field(min_length=1)
    contact: Contact | None = None
    region: Text | None = None
    kind: str = "enterprise"  # vocabulary handler_kind: enterprise, public_security_organ, state_organ, ...

    _kind = field_validator("kind", mode="before")(_vocab("handler_kind", "handler.kind"))

    @model_validator(mode="before")
    @classmethod
    def _kind_from_name(cls, data: Any) -> Any:
        """A handler named as a public security organ (…公安局, …派出所, … Public Security Bureau) is one."""
        name = data.get("name") if isinstance(data, dict) else None
        if isinstance(name, str) and not data.get("kind") and ORGAN_NAME.search(name) and not COMPANY_NAME.search(name):
            data = {**data, "kind": "public_security_organ"}
        return data


class Purpose(Model):
    """What the deployment is for, and why face recognition is necessary and the least intrusive choice."""

    category: PurposeCategory
    description: Text | None = None
    necessity: Text | None = None
    least_impact: Text | None = None
    alternatives_analysis: Text | None = None  # why non-biometric solutions do not suffice (CN23-4a)

    _category = field_validator("category", mode="before")(_vocab("purpose", "purpose.category"))


class Location(Model):
    """Where the capture devices are."""

    setting: Literal["public_place", "private_premises", "online"]
    type: Text | None = None  # vocabulary location_type; a private space named anywhere in the head phrase wins
    type_description: Text | None = None  # the operator's own words, kept as written
    signage: bool = False
    collection_area: Text | None = None

    _setting = field_validator("setting", mode="before")(_vocab("setting", "location.setting"))

    @model_validator(mode="before")
    @classmethod
    def _keep_wording(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("type"), str) and not data.get("type_description"):
            data = {**data, "type_description": data["type"]}
        return data
    _type = field_validator("type", mode="before")(_vocab("location_type", "location.type", prefer="private"))


class Storage(Model):
    """Where facial data lives, whether it leaves the device, and for how long."""

    location: Literal["device", "on_premises", "cloud"] = "device"
    transmission_consent: bool = False
    raw_images: Literal["discard", "retain_with_consent", "retain_by_law"] = "discard"
    raw_image_retention_days: int | None = Field(default=None, ge=0)
    raw_images_ref: Text | None = None  # the law that requires keeping raw images (a registry provision, §4.8)
    retention_days: int | None = Field(default=None, ge=0)
    retention_determination_method: Text | None = None
    retention_justification: Text | None = None
    # A device that has not reached its hub for longer refuses biometric operations (withdrawals may be pending).
    max_offline_hours: float = Field(default=24, gt=0, le=24 * 30)

    _location = field_validator("location", mode="before")(_vocab("storage_location", "storage.location"))
    _raw = field_validator("raw_images", mode="before")(_vocab("raw_images", "storage.raw_images"))


class Minors(Model):
    """Whether under-14s may be enrolled, the share or age floor that says so, and the special rules that apply.

    `share` (the expected share of under-14s among the people enrolled, 0 to 1) or `age_floor` (the youngest age
    enrolled) is a decisive fact: a spec states one of them (FG-12), it is never assumed.
    """

    expected: bool = False
    rules_ref: Text | None = None
    share: float | None = Field(default=None, ge=0, le=1)
    age_floor: int | None = Field(default=None, ge=0, le=120)

    @field_validator("share", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        """'5%' or 5 (per cent) reads as 0.05; 0.05 stays."""
        if isinstance(value, str) and value.strip().endswith("%"):
            return float(value.strip().rstrip("%")) / 100
        if isinstance(value, int | float) and 1 < value <= 100:
            return value / 100
        return value


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
    contact: Contact | None = None
    purpose: Text | None = None
    method: Text | None = None
    pi_categories: list[Text] = []
    separate_consent: bool = False
    commercial: bool = False
    # Vocabulary country (ISO 3166 code); anything but CN is a transfer abroad (PIPL-38). A decisive fact: never
    # assumed, a recipient without it is a finding (FG-12).
    country: str | None = None
    transfer_mechanism: str | None = None  # security_assessment | standard_contract | certification | other_law
    transfer_mechanism_ref: Text | None = None  # filing number, certificate or assessment decision
    rights_procedure: Text | None = None  # how a person exercises rights against a foreign recipient (PIPL-39)
    cross_border_consent: bool = False  # the gate asks each subject's separate cross_border consent (PIPL-39)
    individuals: int | None = Field(default=None, ge=0)  # people whose facial data goes abroad since 1 January

    _country = field_validator("country", mode="before")(_vocab("country", "recipients[].country"))
    _mechanism = field_validator("transfer_mechanism", mode="before")(
        _vocab("transfer_mechanism", "recipients[].transfer_mechanism")
    )

    @property
    def abroad(self) -> bool:
        """Whether the recipient is outside mainland China (Hong Kong, Macao and Taiwan included)."""
        return self.country is not None and self.country != "CN"


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


class Attestation(Model):
    """A reviewer's attestation that a claim (§4.8) holds: who, when, and the document relied on.

    For claim `text_reading`, `field` names the field whose words a finding (FG-6 to FG-11, FG-14) read, and `document`
    is the reviewer's reason why the words do not mean that.
    """

    claim: str
    reviewer: Text = Field(min_length=1)
    attested_on: date
    document: Text = Field(min_length=1)
    field: Text | None = None

    _claim = field_validator("claim", mode="before")(_vocab("claim", "attestations[].claim"))


class Alternative(Model):
    """A non-biometric alternative written as a mapping: its method, the fee and wait a person meets, and a note.

    Fee and wait are decisive facts (FG-12): zero is an answer ("0", "免费", "none"), a missing one is a finding.
    """

    method: str
    fee: Text | None = None
    wait: Text | None = None
    note: Text | None = None  # the operator's own words on the alternative (where, when, how); read by FG-10

    _method = field_validator("method", mode="before")(_vocab("alternative", "alternatives[].method"))

    @field_validator("fee", "wait", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if value < 0:
                raise ValueError("a fee or a wait is not negative (0 when there is none)")
            return str(value)
        return value


class AlternativeTerms(Model):
    """What a person who declines face recognition meets on one alternative: fee, wait and the operator's note."""

    fee: Text | None = None
    wait: Text | None = None
    note: Text | None = None


class Gallery(Model):
    """Where the enrolled faces come from (EU AI Act Art. 5(1)(e))."""

    source: Literal["enrollment", "import", "internet_scrape", "cctv_footage"] = "enrollment"
    provenance_ref: Text | None = None


class Accuracy(Model):
    """What a 1:N deployment expects of identification: its gallery size and the error rates it accepts (ACC-1)."""

    expected_gallery_size: int | None = Field(default=None, ge=1)
    target_fpir: float = Field(default=0.01, gt=0, lt=1)  # strangers named as someone, per search
    # Enrolled people not found, per search. The default is lenient because a missed person falls back to the
    # deployment's non-biometric alternative, while a stranger named as someone is the harm ACC-1 prevents.
    fnir_tolerance: float = Field(default=0.5, gt=0, le=1)


class Security(Model):
    """Security facts the handler records (CN25-14e)."""

    mlps_level: int | None = Field(default=None, ge=1, le=5)


class Risk(Model):
    """One row of the impact assessment's risk register."""

    harm: Text = Field(min_length=1)
    likelihood: Level | None = None  # vocabulary level: low, medium, high (低, 中, 高)
    severity: Level | None = None
    mitigation: Text | None = None
    owner: Text | None = None

    _likelihood = field_validator("likelihood", mode="before")(_vocab("level", "likelihood"))
    _severity = field_validator("severity", mode="before")(_vocab("level", "severity"))


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
    assessor: Text | None = None  # who carried out the assessment (may differ from who approved it)
    method: Text | None = None  # how it was carried out (interviews, data-flow mapping, testing, ...)
    conclusion: Text | None = None
    cross_border: Text | None = None  # the assessment of providing facial data abroad (PIPL-55-4)


class Notice(Model):
    """The notice to individuals: its version, accessibility and the texts the spec alone cannot derive."""

    version: int = Field(default=1, ge=1)
    accessible: bool = False
    accessible_variants: list[Text] = []
    rights_impact: Text | None = None
    rights_exercise_procedure: Text | None = None
    retention_expiry_handling: Text | None = None
    other_legal_matters: Text | None = None
    complaint_channel: Contact | None = None
    public_retention_schedule: Text | None = None
    consent_text: Text | None = None
    realtime_purpose_prompt: bool = False
    explanation_channel: Contact | None = None  # where a person asks for the processing rules to be explained (PIPL-48)
    exemption_ref: Text | None = None  # the provision that exempts the notice (PIPL-18; a registry provision, §4.8)


class Camera(Model):
    """Live capture at the device: the smallest face the camera is placed to see, and the liveness challenge.

    `liveness` unset means required when capture is unattended (no staff watching) and optional when attended.
    """

    min_face_px: int = Field(default=80, ge=40, le=2000)
    attended: bool = False
    liveness: Literal["required", "optional", "off"] | None = None

    @property
    def liveness_required(self) -> bool:
        """Whether a face operation needs a passed liveness challenge here."""
        return self.liveness == "required" or (self.liveness is None and not self.attended)


class Deployment(Model):
    """One deployment of face recognition: who, what for, where, on what basis, and with what protections."""

    id: Slug
    name: Text = Field(min_length=1)
    handler: Handler
    context: Literal["production", "rnd_algorithm_training"] = "production"
    purpose: Purpose
    modality: Literal["verification", "identification"]
    capture: Literal["active", "passive"] = "active"
    camera: Camera | None = None
    location: Location
    premises_type: Text | None = None
    sector: Text | None = None
    legal_basis: Literal["separate_consent", "written_consent", "statutory", "contract"]
    legal_basis_ref: Text | None = None
    alternatives: list[Text] = []
    alternative_fees: dict[str, Text] = {}  # alternative -> the fee a person pays for it (CN25-12a)
    alternative_terms: dict[str, AlternativeTerms] = {}  # alternative -> its fee, wait and note as the spec states
    sole_method_ref: Text | None = None
    storage: Storage = Storage()
    recipients: list[Recipient] = []
    ciio: bool = False  # a critical information infrastructure operator (PIPL-40)
    minors: Minors = Minors()
    analyses: list[Text] = []
    analysis_exception: AnalysisException | None = None
    human_review: bool = False
    accuracy: Accuracy = Accuracy()
    watchlist: Watchlist | None = None
    law_enforcement_exception: LawEnforcementException | None = None
    gallery: Gallery = Gallery()
    identity_provider: Text | None = None
    device_certification_ref: Text | None = None
    security: Security = Security()
    impact_assessment: ImpactAssessment | None = None
    notice: Notice = Notice()
    attestations: list[Attestation] = []
    translations: dict[str, Text] = {}  # dotted field path -> the Chinese text of that field

    _modality = field_validator("modality", mode="before")(_vocab("modality", "modality"))
    _basis = field_validator("legal_basis", mode="before")(_vocab("legal_basis", "legal_basis"))
    _premises = field_validator("premises_type", mode="before")(_vocab("premises_type", "premises_type"))

    @field_validator("analyses", mode="before")
    @classmethod
    def _analyses(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        check = _vocab("analysis", "analyses")
        said = [v for v in value if v is not None and not (isinstance(v, str) and _nothing(v))]
        return list(dict.fromkeys(check(v) for v in said))

    @model_validator(mode="before")
    @classmethod
    def _bilingual(cls, data: Any) -> Any:
        """Text given as {zh: ..., en: ...} keeps one string in the field and the Chinese in `translations`."""
        if not isinstance(data, dict):
            return data
        found: dict[str, str] = {}
        data = _split_languages(data, "", found)
        alternatives = data.get("alternatives")
        if isinstance(alternatives, list):
            names, fees = [], dict(data.get("alternative_fees") or {})
            terms = dict(data.get("alternative_terms") or {})
            for i, item in enumerate(alternatives):
                try:
                    if isinstance(item, dict):
                        parsed = Alternative.model_validate(item)
                        names.append(parsed.method)
                        terms[parsed.method] = {"fee": parsed.fee, "wait": parsed.wait, "note": parsed.note}
                        if parsed.fee and not stated_nothing(parsed.fee) and not zero(parsed.fee):
                            fees[parsed.method] = parsed.fee
                    elif not (isinstance(item, str) and _nothing(item)):  # "none" means no alternative
                        names.append(_vocab("alternative", "alternatives")(item))
                except (ValueError, ValidationError) as exc:
                    detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                    raise ValueError(f"alternatives[{i}]: {detail.removeprefix('Value error, ')}") from None
            data["alternatives"] = list(dict.fromkeys(n for n in names if n))
            if fees:
                data["alternative_fees"] = fees
            if terms:
                data["alternative_terms"] = terms
        if found:
            data["translations"] = {**found, **(data.get("translations") or {})}
        return data

    def wording(self, path: str) -> str | None:
        """A text field for a document: 'Chinese / English' when the spec gives both, else the text it gives."""
        value: Any = self
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                break
        zh = self.translations.get(path)
        if not isinstance(value, str) or not stated(value):
            return zh if stated(zh) else None
        if stated(zh) and zh != value:
            return f"{zh} / {value}"
        return value

    @property
    def consent_based(self) -> bool:
        """Whether the legal basis is the subject's (separate or written) consent."""
        return self.legal_basis in ("separate_consent", "written_consent")

    @property
    def off_device(self) -> bool:
        """Whether facial data is stored anywhere but the capture device (regulation.md §8 Q5)."""
        return self.storage.location != "device"


def _split_languages(node: Any, path: str, found: dict[str, str]) -> Any:
    if isinstance(node, dict):
        keys = set(node)
        if keys and keys <= {"zh", "en"} and all(isinstance(v, str) or v is None for v in node.values()):
            if node.get("zh"):
                found[path] = str(node["zh"])
            return node.get("en") or node.get("zh")
        return {k: _split_languages(v, f"{path}.{k}" if path else str(k), found) for k, v in node.items()}
    if isinstance(node, list):
        return [_split_languages(v, f"{path}[{i}]", found) for i, v in enumerate(node)]
    return node


def _nothing(text: str) -> bool:
    return stated_nothing(text) or not stated(text)
