"""Biometric operations (multipart image upload) and the non-biometric alternatives, for granted operators."""

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile, status
from starlette.concurrency import run_in_threadpool

from facegate import metrics
from facegate.errors import InputError, TooLargeError
from facegate.gate import MAX_IMAGE_BYTES, MAX_PHOTOS

from ..auth import DeploymentId, OperatorFor, OperatorOn, ServiceDep, SubjectId, caller
from ..responses import DECISION, Identification, PasskeyOptions, problems
from ..schemas import AlternativeSetRequest, AlternativeVerifyRequest, PasskeyOptionsRequest, Purpose

router = APIRouter(prefix="/api/v1", tags=["biometrics"])
STANDING = "/deployments/{deployment_id}/subjects/{subject_id}"
Image = Annotated[UploadFile, File(description="A JPEG, PNG or WebP photo, at most 20 MiB; never stored.")]
Photos = Annotated[
    list[UploadFile],
    File(description="1 to 3 JPEG, PNG or WebP photos of the subject (the field repeated), each at most 20 MiB."),
]
PurposeForm = Annotated[Purpose | None, Form(description="The purpose of this request; must be the registered one.")]
Method = Annotated[
    Literal["pin", "totp", "checkin_code", "passkey", "staff"], Path(description="The non-biometric method.")
]
FacesQuery = Annotated[
    Literal["all", "largest"],
    Query(description="`all`: every face in the photo, each decided on its own; `largest`: the largest face only."),
]
REFUSAL = problems(403, 413)


def image_bytes(image: UploadFile) -> bytes:
    """The upload's bytes, held in memory only, refused past the engine's limit."""
    data = image.file.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise TooLargeError(f"the image is over the limit of {MAX_IMAGE_BYTES:,} bytes")
    return data


def sent_once(*names: str) -> Any:
    """A route dependency that refuses a form field sent more than once where the route takes it once: which one
    decides would be a guess."""

    async def check(request: Request) -> None:
        form = await request.form()  # already parsed for the route's parameters: this reads the parsed form
        for name in names:
            if (count := len(form.getlist(name))) > 1:
                raise InputError(f"the form field {name!r} is sent {count} times; this route takes it once")

    return Depends(check)


async def on_worker(decide: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A decision that reads the upload, runs the engine and writes the audit log, on a worker thread.

    The route itself is async, so its answer is checked on the event loop: a plain route would take one thread
    hop for the call and one more for the answer (as each plain dependency does), about 0.13 ms of CPU each.
    """
    with metrics.engine_queue():
        return await run_in_threadpool(decide)


@router.post(
    STANDING + "/enroll",
    status_code=status.HTTP_201_CREATED,
    **DECISION,
    responses=REFUSAL,
    dependencies=[sent_once("purpose")],
)
def enroll(
    request: Request,
    deployment_id: DeploymentId,
    subject_id: SubjectId,
    image: Photos,
    svc: ServiceDep,
    key: OperatorFor,
    purpose: PurposeForm = None,
) -> dict[str, Any]:
    """Enroll the one face in each photo (`image` once, or up to 3 times) as the subject's templates, all or none;
    the photos themselves are not kept."""
    if len(image) > MAX_PHOTOS:
        raise InputError(f"enroll takes 1 to {MAX_PHOTOS} photos of the subject, got {len(image)}")
    data = [image_bytes(photo) for photo in image]
    with metrics.engine_queue():
        return svc.gate.enroll(deployment_id, subject_id, data, purpose, caller(request, key)).to_dict()


@router.post(STANDING + "/verify", **DECISION, responses=REFUSAL, dependencies=[sent_once("image", "purpose")])
async def verify(
    request: Request,
    deployment_id: DeploymentId,
    subject_id: SubjectId,
    image: Image,
    svc: ServiceDep,
    key: OperatorOn,
    purpose: PurposeForm = None,
) -> dict[str, Any]:
    """1:1: is the person in the photo the enrolled subject? Only match or no_match, never a distance."""
    who = caller(request, key)
    return await on_worker(
        lambda: svc.gate.verify(deployment_id, subject_id, image_bytes(image), purpose, who).to_dict()
    )


@router.post(
    "/deployments/{deployment_id}/identify",
    response_model=Identification,
    response_model_exclude_unset=True,
    responses=REFUSAL,
    dependencies=[sent_once("image", "purpose")],
)
async def identify(
    request: Request,
    deployment_id: DeploymentId,
    image: Image,
    svc: ServiceDep,
    key: OperatorOn,
    purpose: PurposeForm = None,
    faces: FacesQuery = "all",
) -> dict[str, Any]:
    """1:N: which enrolled subject of the deployment is each face in the photo, if any. Every face is decided on
    its own at the gallery's threshold, with its own audit event; the top-level fields are the largest face's."""
    who = caller(request, key)
    return await on_worker(lambda: svc.gate.identify(deployment_id, image_bytes(image), purpose, who, faces).to_dict())


@router.post(STANDING + "/alternatives/passkey/options", response_model=PasskeyOptions, responses=REFUSAL)
def passkey_options(
    request: Request,
    deployment_id: DeploymentId,
    subject_id: SubjectId,
    body: PasskeyOptionsRequest,
    svc: ServiceDep,
    key: OperatorFor,
) -> dict[str, Any]:
    """Begin a passkey ceremony: the options for `navigator.credentials.create` (register) or `.get`
    (authenticate), to answer within three minutes. Passkeys are made for $FACEGATE_PASSKEY_ORIGINS, else for
    this server's own address."""
    rp = svc.relying_party(request)
    return svc.gate.passkey_options(deployment_id, subject_id, body.ceremony, rp, caller(request, key))


@router.put(STANDING + "/alternatives/{method}", **DECISION, responses=REFUSAL)
def set_alternative(
    request: Request,
    deployment_id: DeploymentId,
    subject_id: SubjectId,
    method: Method,
    svc: ServiceDep,
    key: OperatorFor,
    body: AlternativeSetRequest | None = None,
) -> dict[str, Any]:
    """Set up a PIN, a TOTP secret (shown once, with a QR code), a one-time check-in code, or a passkey."""
    secret = answer(method, body.credential, body.pin) if body else None
    rp = svc.relying_party(request)
    decision = svc.gate.set_alternative(deployment_id, subject_id, method, secret, caller(request, key), rp=rp)
    return decision.to_dict()


@router.post(
    STANDING + "/alternatives/{method}/verify",
    **DECISION,
    responses=REFUSAL,
)
def verify_alternative(
    request: Request,
    deployment_id: DeploymentId,
    subject_id: SubjectId,
    method: Method,
    svc: ServiceDep,
    key: OperatorFor,
    body: AlternativeVerifyRequest | None = None,
) -> dict[str, Any]:
    """Verify the subject without any face: PIN, TOTP, check-in code, passkey, or a staff member's check."""
    secret = answer(method, body.credential, body.secret) if body else None
    rp = svc.relying_party(request)
    decision = svc.gate.verify_alternative(deployment_id, subject_id, method, secret, caller(request, key), rp=rp)
    return decision.to_dict()


def answer(method: str, credential: dict[str, Any] | None, secret: str | None) -> str | None:
    """What the gate checks: a passkey's `credential` as JSON text, the typed `secret` for the other methods."""
    if method == "passkey":
        if secret is not None:
            raise InputError("a passkey is answered with `credential`, the browser's PublicKeyCredential as JSON")
        return json.dumps(credential) if credential is not None else None
    if credential is not None:
        raise InputError("`credential` is for passkeys only")
    return secret
