"""The API's request and response models: the OpenAPI schema is the contract, validation lives here."""

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from facegate import policy
from facegate.policy.spec import PurposeCategory

from .auth import SUBJECT_ID
from .keys import Role
from .responses import Decision as Decision  # the answer models live in responses.py

if TYPE_CHECKING:
    ProfileName = str
else:  # an enum in the OpenAPI schema, from the profiles catalogue
    ProfileName = Literal[tuple(policy.profile_names())]
Profiles = Annotated[list[ProfileName], Field(min_length=1, max_length=4)]
SubjectIdText = Annotated[str, StringConstraints(pattern=SUBJECT_ID)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Purpose = PurposeCategory


SPEC_EXAMPLE: dict[str, Any] = json.loads((Path(__file__).parent / "example-spec.json").read_text())


def example(**values: Any) -> ConfigDict:
    """A request model's configuration: unknown fields are errors, and `values` is its example in the schema."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [values]})


class Body(BaseModel):
    """Base of request bodies: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class CheckRequest(Body):
    """A spec to check, and the profiles to check it under."""

    model_config = example(spec=SPEC_EXAMPLE, profiles=["cn2025"])

    spec: policy.Deployment
    profiles: Profiles = ["cn2025"]


class RegisterRequest(CheckRequest):
    """A spec to register; activated unless `activate` is false."""

    model_config = example(spec=SPEC_EXAMPLE, profiles=["cn2025"], activate=True)

    activate: bool = True


class IncidentRequest(Body):
    """A security incident on a deployment; a major one reopens the impact assessment (CN25-9d, §8 Q14)."""

    model_config = example(
        level="minor",
        description="A turnstile was left unlocked overnight; no data left it.",
        off_device_movement=False,
    )

    level: Literal["minor", "moderate", "major", "critical"]
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] = Field(
        description="what happened; no biometric data"
    )
    off_device_movement: bool = Field(False, description="facial data moved off the device without authorisation")


class AttestationRequest(Body):
    """A reviewer's attestation of a claim of the deployment's spec (regulation.md §4.8)."""

    model_config = example(
        claim="statutory_basis", reviewer="J. Doe (DPO)", document="Legal opinion 2026-11, section 3"
    )

    claim: Literal[
        "statutory_basis", "sole_method", "public_security", "public_security_commission", "raw_images_by_law",
        "notice_exemption",
    ]  # fmt: skip
    reviewer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    document: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class UpdateRequest(Body):
    """The new spec of a registered deployment (its ID must match)."""

    model_config = example(spec=SPEC_EXAMPLE)

    spec: policy.Deployment


class KeyRequest(Body):
    """An API key to mint: its role, a name, and for operators the deployments it is granted."""

    model_config = example(role="operator", name="lobby turnstiles", deployments=["hq-lobby"])

    role: Role
    name: Annotated[str, StringConstraints(max_length=64)] = ""
    deployments: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,62}$")]], Field(max_length=64)
    ] = []


class SubjectRequest(Body):
    """A subject to add under a pseudonymous ID (generated when omitted)."""

    model_config = example(id="emp-20931", age_band="14_plus")

    id: SubjectIdText | None = None
    birth_date: date | None = None
    age_band: Literal["under_14", "14_plus"] | None = None
    guardian_ref: ShortText | None = None


class NoticeRequest(Body):
    """The version of the notice the subject was shown (the current one when omitted)."""

    model_config = example(version=1)

    version: Annotated[int, Field(ge=1, le=1_000_000)] | None = None


class ConsentRequest(Body):
    """A separate (or written) consent, bound to the current notice."""

    model_config = example(
        kind="facial_processing", form="separate", given_by="subject", evidence_ref="kiosk-3 2026-11-27 09:30"
    )

    kind: Literal["facial_processing", "external_transmission", "raw_image_retention", "cross_border"] = (
        "facial_processing"
    )
    form: Literal["separate", "written"] = "separate"
    given_by: Literal["subject", "guardian"] = "subject"
    guardian_ref: ShortText | None = None
    evidence_ref: ShortText | None = None


class AlternativeSetRequest(Body):
    """The PIN for `pin`; for `passkey`, the browser's answer to the registration options; nothing for the others."""

    model_config = example(pin="482910")

    pin: ShortText | None = None
    credential: dict[str, Any] | None = None


class AlternativeVerifyRequest(Body):
    """The PIN, TOTP or check-in code to verify; for `passkey`, the browser's answer; nothing for `staff`."""

    model_config = example(secret="482910")

    secret: ShortText | None = None
    credential: dict[str, Any] | None = None


class PasskeyRequest(Body):
    """A browser's answer to passkey registration options (the PublicKeyCredential's JSON)."""

    model_config = example(credential={"id": "…", "type": "public-key", "response": {}})

    credential: dict[str, Any]


class PasskeyOptionsRequest(Body):
    """Which passkey ceremony to begin: `register` a new passkey, or `authenticate` with the one set up."""

    model_config = example(ceremony="register")

    ceremony: Literal["register", "authenticate"]


class LinkRequest(Body):
    """A self-service link for a subject of a deployment, valid for `ttl_minutes`."""

    model_config = example(ttl_minutes=60)

    ttl_minutes: Annotated[int, Field(ge=1, le=1440)] = 60


class SubjectConsentRequest(Body):
    """The subject's own consent through the portal: `agree` must be true (the box is never pre-ticked)."""

    model_config = example(agree=True)

    agree: bool


class ChallengeRequest(Body):
    """Ask for a liveness challenge for this device (its own ID; default: the client's address)."""

    model_config = example(device="lobby-kiosk-1", purpose="access_control")

    device: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    purpose: Purpose | None = None
