"""The API's response models: every answer's shape is in the OpenAPI schema, and nothing undocumented is sent."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from facegate import policy

from .codes import CODES
from .keys import Role

Timestamp = Annotated[
    str, Field(description="An ISO 8601 date and time (UTC).", examples=["2026-11-27T09:30:00+00:00"])
]
Day = Annotated[str, Field(description="An ISO 8601 date.", examples=["2026-11-27"])]
Verdict = Literal["allowed", "allowed_with_warnings", "blocked"]
DeploymentStatus = Literal["draft", "active", "needs_reassessment", "retired", "blocked"]


class Answer(BaseModel):
    """Base of response models: a field not declared here is an error, never sent silently."""

    model_config = ConfigDict(extra="forbid")


class Finding(Answer):
    """One thing a rule found in a spec: the rule, severity, field, what to change, and every ID behind it."""

    rule: str = Field(description="The rule that found it, e.g. CN25-13a.")
    severity: Literal["BLOCK", "WARN", "INFO"]
    field: str | None = Field(description="The spec field concerned (dotted path), if one.")
    message: str = Field(description="What to change.")
    rule_ids: list[str] = Field(description="Every rule ID behind the finding, cited instruments included.")
    profiles: list[str]
    status: Literal["C", "S", "U"] = Field(description="C: in force, S: settled reading, U: unsettled reading.")
    questions: list[str] = Field(description="The open interpretation questions (regulation.md §8) behind it.")
    message_zh: str = Field(description="The message in simplified Chinese; empty where the rule has none yet.")


class Interpretation(Answer):
    """An interpretation the operator set for an open question, and why."""

    question: str
    key: str
    value: Any
    justification: str


class CheckReport(Answer):
    """A spec's findings under the profiles applied, and the verdict (the shape of `facegate check --json`)."""

    deployment: str
    profiles: list[str]
    verdict: Verdict
    findings: list[Finding]
    interpretations: list[Interpretation] | None = Field(
        None, description="Present when settings override an open question's default reading."
    )


class Decision(Answer):
    """The outcome of a gate call: what happened and the rule IDs behind it (never biometric data).

    The first six fields are always present; the others only for the operations named in their descriptions.
    """

    operation: str = Field(description="The gate operation, e.g. verify, consent.give, deployment.register.")
    outcome: str = Field(description="What happened, e.g. match, no_match, given, withdrawn, active, deleted.")
    deployment: str | None
    subject: str | None
    rule_ids: list[str] = Field(description="The rules behind the decision.")
    event_id: str = Field(description="The audit event that records the decision (prove it at /audit/events/…).")
    match: bool | None = Field(None, description="verify, identify: whether the face matched (never a distance).")
    candidates: list[str] | None = Field(
        None, description="identify with human review: subject IDs for a reviewer to decide on (never a distance)."
    )
    gallery_size: int | None = Field(None, description="identify: the subjects searched (one fused template each).")
    target_fpir: float | None = Field(None, description="identify: the deployment's target FPIR.")
    threshold: float | None = Field(
        None, description="identify: the decision threshold set for the gallery size (ACC-1), never a distance."
    )
    verified: bool | None = Field(None, description="alternative verification: whether the secret was right.")
    reason: str | None = Field(None, description="alternative verification: why it failed when not the secret.")
    method: str | None = Field(None, description="alternatives: pin, totp, checkin_code, passkey or staff.")
    totp_uri: str | None = Field(None, description="alternative set-up (totp): the otpauth:// URI, shown once.")
    qr_svg: str | None = Field(None, description="alternative set-up (totp, checkin_code): the URI or code as SVG.")
    code: str | None = Field(None, description="alternative set-up (checkin_code): the one-time code, shown once.")
    expires_at: Timestamp | None = Field(None, description="alternative set-up (checkin_code): when the code lapses.")
    template_id: str | None = Field(None, description="enroll: the new template's ID (the first, of several photos).")
    template_ids: list[str] | None = Field(None, description="enroll: the new templates' IDs, one per photo.")
    raw_image_kept: bool | None = Field(None, description="enroll: whether the photo was kept (consent needed).")
    templates_deleted: int | None = Field(None, description="withdraw, retire, delete: templates deleted.")
    raw_images_deleted: int | None = Field(
        None, description="template delete: kept photos deleted with the subject's last template in the deployment."
    )
    consent_id: str | None = Field(None, description="consent: the consent record's ID.")
    kind: str | None = Field(None, description="consent: facial_processing, external_transmission, ...")
    alternatives: list[str] | None = Field(None, description="decline: the non-biometric methods offered.")
    verdict: Verdict | None = Field(None, description="deployment register: the verdict of the findings.")
    findings: list[Finding] | None = Field(None, description="deployment register: every finding.")
    triggers: list[str] | None = Field(None, description="deployment update: the changes that ask for reassessment.")
    stale_consents: int | None = Field(None, description="deployment update: consents the change made stale.")
    keys_rewrapped: int | None = Field(None, description="key rotation: deployment keys rewrapped.")
    level: str | None = Field(None, description="incident: minor, moderate, major or critical.")
    off_device_movement: bool | None = Field(None, description="incident: facial data moved off the device.")
    description: str | None = Field(None, description="incident: what happened, as the operator recorded it.")
    reassessment_opened: bool | None = Field(None, description="incident: whether the assessment was reopened.")
    claim: str | None = Field(None, description="attestation: the claim attested (regulation.md §4.8).")
    reviewer: str | None = Field(None, description="attestation: who attests (a DPO or counsel).")
    document: str | None = Field(None, description="attestation: the document relied on.")
    attested_on: str | None = Field(None, description="attestation: the day of the attestation.")


class FindingCounts(Answer):
    """How many findings of each severity."""

    BLOCK: int
    WARN: int
    INFO: int


class DeploymentRow(Answer):
    """A deployment's status: registered (draft, active, needs_reassessment, retired) or blocked at submission."""

    id: str
    status: DeploymentStatus
    profiles: list[str]
    enrolled_subjects: int
    updated_at: Timestamp
    name: str


class DeploymentSummary(DeploymentRow):
    """A deployment in the list, with its verdict and finding counts now."""

    handler: str
    verdict: Verdict
    findings: FindingCounts


class DeploymentView(DeploymentRow):
    """One deployment: its status, spec and findings now."""

    spec: policy.Deployment
    report: CheckReport


class Rule(Answer):
    """A rule of the catalogue (the shape of `facegate rules --json`)."""

    id: str
    title: str
    severity: Literal["BLOCK", "WARN", "INFO"]
    status: Literal["C", "S", "U"]
    profiles: list[str]
    enforced_at: list[str]
    cites: list[str]
    questions: list[str]
    hardening_flag: str | None
    note: str
    serves: list[str] = Field(default_factory=list, description="for a facegate policy (FG-): the law it serves")
    setting: str | None = Field(None, description="for a facegate policy: the setting that turns it off")


class ProvisionScope(Answer):
    """Which handlers and purposes a provision covers (empty: any)."""

    handler_kinds: list[str]
    purposes: list[str]


class Provision(Answer):
    """A provision of the registry shipped with facegate (regulation.md §4.8)."""

    id: str
    instrument: dict[str, str] = Field(description="the instrument's name in zh and en")
    article: str
    summary: str
    supports: list[str] = Field(description="the claims it supports: statutory_basis, sole_method, ...")
    scope: ProvisionScope
    identity_documents_only: bool = Field(description="it requires checking identity documents, not face recognition")
    status: Literal["C", "S", "U"]
    source: str


class VocabularyTerm(Answer):
    """One allowed value of a closed vocabulary, with its labels and the synonyms a spec may use."""

    value: str
    zh: str
    en: str
    synonyms: list[str]
    tags: list[str]


class Key(Answer):
    """An API key as listed: never its secret."""

    id: str
    name: str
    role: Role
    deployments: list[str]
    created_at: Timestamp
    revoked_at: Timestamp | None
    expires_at: Timestamp | None = Field(default=None, description="When the key stops working; null: never.")


class MintedKey(Key):
    """A key just minted, with its secret: shown in this answer only."""

    secret: str = Field(description="The whole key (fgk_…) to send as a bearer token; facegate keeps a hash.")


class SubjectLinkView(Answer):
    """A signed link to the subject portal."""

    token: str = Field(description="The link token (fgs.…), also a bearer token for /api/v1/me.")
    url: str
    expires_at: Timestamp


class HeldData(Answer):
    """Facial data held on a subject for one deployment."""

    deployment: str
    templates: int
    raw_images: int
    since: Timestamp
    until: Timestamp = Field(description="When the retention period ends.")


class ConsentRecord(Answer):
    """A consent given (withdrawn and stale ones are kept as records)."""

    deployment: str
    kind: str
    form: str
    given_by: str
    notice_version: int
    given_at: Timestamp
    withdrawn_at: Timestamp | None
    stale_at: Timestamp | None


class MethodSetUp(Answer):
    """A non-biometric method set up for a subject (never its secret)."""

    deployment: str
    method: str
    since: Timestamp


class SubjectRecord(Answer):
    """What is held on a subject, for which deployment, since and until when; consents (no biometric data)."""

    subject: str
    birth_date: Day | None
    age_band: str | None
    created_at: Timestamp
    facial_data: list[HeldData]
    consents: list[ConsentRecord]
    alternatives_set_up: list[MethodSetUp]


class ExportedTemplate(Answer):
    """A template in the subject's own export: the one way a template leaves facegate."""

    deployment: str
    id: str
    model: str
    vector: list[float]


class SubjectExport(SubjectRecord):
    """The subject's own data, templates included."""

    templates: list[ExportedTemplate]


class Standing(Answer):
    """Who a subject link is for, and where the subject stands in the deployment."""

    subject: str
    deployment: str
    deployment_name: str
    handler: str
    notice_version: int
    consent: Literal["given", "withdrawn", "none"]
    templates: int
    alternatives: list[str]
    passkey: Literal["set", "not_set"] | None = Field(description="null when the deployment offers no passkey.")
    link_expires_at: Timestamp


class PasskeyOptions(BaseModel):
    """WebAuthn options for `navigator.credentials.create` or `.get` (W3C PublicKeyCredential*OptionsJSON)."""

    model_config = ConfigDict(extra="allow")  # the W3C structure; its members depend on the ceremony

    challenge: str = Field(description="base64url; answer within three minutes.")
    timeout: int | None = None


class AuditProblem(Answer):
    """The first thing found wrong in the audit log."""

    kind: Literal["altered", "deleted", "moved", "inserted", "truncated", "forged", "unsigned"]
    index: int | None = Field(description="The first entry concerned.")
    message: str


class AuditVerification(Answer):
    """The audit log's verification: entries and checkpoints checked, and the first problem if any."""

    ok: bool
    size: int
    checkpoints: int
    latest_checkpoint: int = Field(description="The size the latest signed checkpoint covers.")
    purged: int = Field(description="Entries whose content retention removed (their hashes stay).")
    problem: AuditProblem | None
    notes: list[str]


class Checkpoint(Answer):
    """A signed checkpoint (C2SP tlog-checkpoint note, Ed25519)."""

    origin: str
    tree_size: int
    root_hash: str = Field(description="base64.")
    note: str = Field(description="The signed note, to check with the log's public key.")


class InclusionProof(Answer):
    """An entry, its leaf hash and the RFC 9162 inclusion proof against a signed checkpoint."""

    index: int
    event_id: str
    entry: dict[str, Any] | None = Field(description="The logged entry; null when retention purged its content.")
    leaf_hash: str = Field(description="base64.")
    tree_size: int
    proof: list[str] = Field(description="base64 hashes, leaf to root.")
    checkpoint: Checkpoint


class FieldProblem(Answer):
    """Where a request failed validation, and what is wrong there (the value is never echoed)."""

    field: str = Field(description="The dotted location, e.g. body.spec.purpose.category.")
    message: str


class CitedRule(Answer):
    """A rule a refusal cites, as the catalogue states it."""

    id: str
    profiles: list[str]
    severity: str = Field(description="BLOCK, WARN or INFO.")
    status: str = Field(description="Confirmation against the official text: C, S, U, S/C or U/C.")


class Problem(Answer):
    """An error as RFC 9457 problem details (`application/problem+json`); a refusal carries its rule IDs."""

    type: str = Field(description="/problems/<kind>: refused, forbidden, unauthorized, invalid-input, not-found, ...")
    code: str = Field(
        description="What went wrong, stable for a client to branch on (no_face, several_faces, consent_missing, "
        "...; docs/service.md lists every one).",
        json_schema_extra={"enum": list(CODES)},
    )
    title: str = Field(description="The code's sentence, in Chinese or English by the request's Accept-Language.")
    status: int
    detail: str
    instance: str | None = Field(None, description="The request's path (a portal link's token is never echoed).")
    request_id: str | None = Field(description="Finds the request in the server log.")
    rule_ids: list[str] | None = Field(None, description="refused: the rules behind the refusal; forbidden: [].")
    profile: str | None = Field(None, description="refused: the profile of the first rule (regulation.md §1).")
    severity: str | None = Field(None, description="refused: BLOCK when any of the rules blocks.")
    rules: list[CitedRule] | None = Field(None, description="refused: each rule's profiles, severity and status.")
    alternatives: list[str] | None = Field(None, description="refused: the methods the subject may use instead.")
    findings: list[Finding] | None = Field(None, description="A refused spec: its blocking findings.")
    errors: list[FieldProblem] | None = Field(None, description="invalid-input from validation: each field's problem.")
    reasons: list[str] | None = Field(None, description="liveness-failed: the checks that failed, e.g. movement.")
    retry_after: int | None = Field(None, description="liveness-failed: seconds to wait first (0: none).")
    checks: dict[str, str] | None = Field(None, description="not-ready: each dependency's state.")


ERRORS = {
    401: "No API key or link token, or one unknown, revoked, forged or expired",
    403: "Not allowed for this key (`forbidden`, `rule_ids` empty) or refused by the rules (`refused`, `rule_ids`)",
    404: "The named deployment, subject, key or event does not exist",
    409: "Conflicts with the current state (already registered), or the audit log failed verification",
    413: "The body is over the limit (images: 20 MiB)",
    422: "The input is not acceptable (`errors` names the fields); nothing was changed",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route or router: these error statuses, each a Problem."""
    return {s: {"model": Problem, "description": ERRORS[s]} for s in statuses}


class ChallengeColour(Answer):
    """One colour of the light challenge: its name and RGB value."""

    name: str
    rgb: list[int]


class LivenessChallenge(Answer):
    """A liveness challenge: answer with frames timed from the capture's start, before `deadline`."""

    nonce: str
    deadline: Timestamp
    turns: list[str] = Field(description="The head turns asked, in order: left or right (the person's own).")
    steps: list[str] = Field(description="The movement steps, each `segment_ms` long: front, a turn, front, ...")
    colours: list[ChallengeColour] = Field(description="The colours to fill the screen with, each `colour_ms` long.")
    segment_ms: int
    colour_ms: int
    duration_ms: int
    min_face_px: int | None = Field(description="The smallest face the deployment's camera expects, if set.")


class Health(Answer):
    """The service answers."""

    status: Literal["ok"]


ReadinessCheck = Literal["ok", "failing", "loading", "on_first_use"]


class Readiness(Answer):
    """Every dependency answers: the database, the key store, the face engine (`on_first_use`: loads when needed)."""

    status: Literal["ready"]
    checks: dict[str, ReadinessCheck]


BOX = Field(
    description="The face's box in the photo's pixels: left, top, right, bottom (right and bottom exclusive).",
    min_length=4,
    max_length=4,
    examples=[[244, 62, 395, 212]],
)


class FaceDecision(Answer):
    """One face of an identified photo: its box and its own decision and audit event (never a distance)."""

    outcome: str = Field(description="identified, no_match, candidates (human review), or face_too_small.")
    subject: str | None
    rule_ids: list[str]
    event_id: str | None = Field(description="The face's own audit event; null for a face too small to search.")
    match: bool | None
    candidates: list[str] | None = Field(None, description="With human review: subject IDs for a reviewer.")
    box: list[int] | None = BOX


class Identification(Decision):
    """1:N on a photo: every face decided on its own. The top-level fields are the largest face's decision, as a
    single-face identification always answered; `faces` holds every face, largest first (one with
    `?faces=largest`), a face too small to search included."""

    box: list[int] | None = BOX
    faces: list[FaceDecision] = Field(description="Every face found, largest first, each with its own decision.")


# The route arguments of an answer that is a Decision: the details an operation does not set are left out.
DECISION: dict[str, Any] = {"response_model": Decision, "response_model_exclude_unset": True}
