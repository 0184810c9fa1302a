"""The liveness challenge: a kiosk asks for a challenge, then verifies or identifies with the frames that answer it."""

import json
import math
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile

from facegate import metrics
from facegate.errors import InputError
from facegate.gate.liveness import MAX_FRAMES

from ..auth import DeploymentId, OperatorOn, ServiceDep, SubjectId, caller
from ..responses import DECISION, LivenessChallenge, problems
from ..schemas import ChallengeRequest
from .biometrics import STANDING, PurposeForm, image_bytes, sent_once

router = APIRouter(prefix="/api/v1", tags=["liveness"])
Frames = Annotated[
    list[UploadFile], File(description="The captured frames (JPEG, PNG or WebP), in time order; never stored.")
]
Times = Annotated[str, Form(description="Each frame's time in ms since the capture began: a JSON list of numbers.")]
Nonce = Annotated[str, Form(min_length=8, max_length=64, description="The challenge's nonce.")]
Device = Annotated[
    str | None, Form(min_length=1, max_length=64, description="The device's own ID, as in the challenge.")
]
REFUSAL = problems(403, 413)
LIVENESS_REFUSAL = {
    **REFUSAL,
    403: {**REFUSAL[403], "description": "Refused by the rules, or the frames failed the liveness challenge"},
}


def device_of(request: Request, device: str | None) -> str:
    """The device a liveness check counts against: the one it names, else the client's address."""
    return device or f"ip:{request.client.host if request.client else 'unknown'}"


def frame_list(frames: list[UploadFile], times: str) -> list[tuple[float, bytes]]:
    """Pair each frame with its time; refuse a count or a time list that does not fit."""
    if len(frames) > MAX_FRAMES:
        raise InputError(f"{len(frames)} frames sent; at most {MAX_FRAMES}")
    try:
        stamps = json.loads(times)
    except json.JSONDecodeError:
        raise InputError("timestamps must be a JSON list of numbers (ms since the capture began)") from None
    if not isinstance(stamps, list) or not all(isinstance(t, int | float) and not isinstance(t, bool) for t in stamps):
        raise InputError("timestamps must be a JSON list of numbers (ms since the capture began)")
    if not all(math.isfinite(t) for t in stamps):
        raise InputError("timestamps must be finite numbers (ms since the capture began), not NaN or Infinity")
    if len(stamps) != len(frames):
        raise InputError(f"{len(frames)} frames but {len(stamps)} timestamps; send one time per frame")
    return [(float(t), image_bytes(f)) for t, f in zip(stamps, frames, strict=True)]


@router.post("/deployments/{deployment_id}/liveness/challenge", response_model=LivenessChallenge, responses=REFUSAL)
def challenge(
    request: Request, deployment_id: DeploymentId, svc: ServiceDep, key: OperatorOn, body: ChallengeRequest
) -> dict[str, Any]:
    """A new random challenge: head turns and screen colours on one timeline, with a nonce and a deadline.

    After 10 failed checks in 10 minutes with one operator key on the deployment (whatever device it names), the key
    must wait (`retry_after`) and is offered the alternatives; so is a subject after 5 failed checks in an hour."""
    device = device_of(request, body.device)
    return svc.gate.liveness_challenge(deployment_id, device, body.purpose, caller(request, key))


ONCE = sent_once("timestamps", "nonce", "device", "purpose")


@router.post(STANDING + "/verify/live", **DECISION, responses=LIVENESS_REFUSAL, dependencies=[ONCE])
def verify_live(
    request: Request,
    deployment_id: DeploymentId,
    subject_id: SubjectId,
    frames: Frames,
    timestamps: Times,
    nonce: Nonce,
    svc: ServiceDep,
    key: OperatorOn,
    device: Device = None,
    purpose: PurposeForm = None,
) -> dict[str, Any]:
    """1:1 on the frames that answer the challenge: liveness first, then the match on the most frontal frame."""
    pairs = frame_list(frames, timestamps)
    who = device_of(request, device)
    with metrics.engine_queue():
        decision = svc.gate.verify_live(deployment_id, subject_id, nonce, pairs, who, purpose, caller(request, key))
    return decision.to_dict()


@router.post("/deployments/{deployment_id}/identify/live", **DECISION, responses=LIVENESS_REFUSAL, dependencies=[ONCE])
def identify_live(
    request: Request,
    deployment_id: DeploymentId,
    frames: Frames,
    timestamps: Times,
    nonce: Nonce,
    svc: ServiceDep,
    key: OperatorOn,
    device: Device = None,
    purpose: PurposeForm = None,
) -> dict[str, Any]:
    """1:N on the frames that answer the challenge: liveness first, then the search on the most frontal frame."""
    pairs = frame_list(frames, timestamps)
    who = device_of(request, device)
    with metrics.engine_queue():
        return svc.gate.identify_live(deployment_id, nonce, pairs, who, purpose, caller(request, key)).to_dict()
