"""Hub and device: pairing and sync for devices (signed requests), device administration for admins, the node.

Devices call `/api/v1/edge/*`: `hub` (the hub's public key, checked against the token's fingerprint), `join` with
a pairing token, then `pull`, `push` and `wiped`, each request signed with the device key and a fresh nonce and
each answer signed with the hub key (header `X-Facegate-Hub-Signature`). Admins mint pairing tokens (for one
device or a site of N) and list, suspend (with a wipe or not), resume, unpair and report lost devices under
`/api/v1/devices`, or every device of a site under `/api/v1/sites/{site}`.
"""

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from starlette.concurrency import run_in_threadpool

from facegate.edge import signing
from facegate.edge.hub import Hub
from facegate.errors import InputError
from facegate.home import node_kind

from ..auth import SUBJECT_ID, Admin, Reader, ServiceDep
from ..paging import Cursor, Limit, page_of
from ..schemas import Body
from ..service import Service

router = APIRouter(tags=["devices"])
DeviceId = Annotated[str, Path(pattern=r"^dev-[0-9a-f]{12}$", description="A device's ID.")]
DeploymentSlug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,62}$")]
SiteName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
SitePath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="A site's name.")]
Subject = Annotated[str, StringConstraints(pattern=SUBJECT_ID)]
Short = Annotated[str, StringConstraints(max_length=200)]
SIGNED = {"description": "Signed by the hub: `X-Facegate-Hub-Signature` over the body, bound to the device."}


class TokenRequest(Body):
    """The deployments a device paired with this token will run, and how long the token lives."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"deployments": ["hq-lobby"], "hours": 24}]}
    )

    deployments: Annotated[list[DeploymentSlug], Field(min_length=1, max_length=32)]
    hours: float = Field(default=24, gt=0, le=168)
    devices: int = Field(default=1, ge=1, le=10_000, description="how many devices the token may pair")
    site: SiteName | None = Field(default=None, description="the site the paired devices are grouped under")


class TokenAnswer(BaseModel):
    """A one-time pairing token: shown in this answer only (the hub keeps a hash)."""

    id: str
    token: str = Field(description="fgp_<id>_<secret>_<SHA-256 of the hub's public key>")
    deployments: list[str]
    expires_at: datetime
    devices: int
    site: str | None


class JoinRequest(Body):
    """A device's pairing: the token, its name and its two public keys (PEM)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"token": "fgp_…", "name": "lobby-turnstile-1", "device_key": "-----BEGIN "
                                         "PUBLIC KEY-----\n…", "audit_key": "-----BEGIN PUBLIC KEY-----\n…"}]},
    )  # fmt: skip

    token: Annotated[str, StringConstraints(max_length=200)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    device_key: Annotated[str, StringConstraints(max_length=2000)]
    audit_key: Annotated[str, StringConstraints(max_length=2000)]


class JoinAnswer(BaseModel):
    """The paired device's ID, its deployments, and the hub key the device pins."""

    device_id: str
    name: str
    deployments: list[str]
    site: str | None = None
    hub_key: str


class HubKey(BaseModel):
    """The hub's public key and its fingerprint (what a pairing token carries)."""

    hub_key: str
    fingerprint: str


class WipedRequest(Body):
    """A device's report that it shredded its keys: for the hub's order, or by itself past its offline bound."""

    reason: Literal["unpair", "lost", "suspend", "offline"]
    deployments: list[DeploymentSlug] = Field(default_factory=list, max_length=64)
    templates_left: int = Field(default=0, ge=0)


def _time(text: str) -> str:
    datetime.fromisoformat(text)
    return text


def _day(text: str) -> str:
    date.fromisoformat(text[:10])
    return text


def _entry(payload: str) -> str:
    if not isinstance(json.loads(payload), dict):
        raise ValueError("an audit entry is a JSON object")
    return payload


Time = Annotated[str, StringConstraints(max_length=40), AfterValidator(_time)]
Day = Annotated[str, StringConstraints(max_length=40), AfterValidator(_day)]


class Wire(BaseModel):
    """A device's signed body, checked field by field (strictly: no number as text) before anything is written."""

    model_config = ConfigDict(strict=True, extra="ignore")


class ConsentIn(Wire):
    """A consent as the standing carries it."""

    kind: Short
    form: Short
    given_by: Short
    guardian_ref: Short | None = None
    evidence_ref: Short | None = None
    notice_version: int = Field(ge=0)
    given_at: Time
    withdrawn_at: Time | None = None
    stale_at: Time | None = None


class StandingIn(Wire):
    """A subject's standing in one deployment: notices shown, consents, the last decline."""

    notices: list[int] = Field(default_factory=list, max_length=1000)
    consents: list[ConsentIn] = Field(default_factory=list, max_length=1000)
    declined_at: Time | None = None


class SubjectIn(Wire):
    """The standing a device recorded locally for one subject (pseudonymous ID, age facts, per deployment)."""

    id: Subject
    birth_date: Day | None = None
    age_band: Short | None = None
    guardian_ref: Short | None = None
    deployments: dict[DeploymentSlug, StandingIn] = Field(default_factory=dict)


class EntryIn(Wire):
    """One entry of the device's audit log: its index and its payload (JSON text)."""

    idx: int = Field(ge=0)
    payload: Annotated[str, AfterValidator(_entry)]


class SelfCheckIn(Wire):
    """The device's check of its own log."""

    ok: bool
    problem: Annotated[str, StringConstraints(max_length=2000)] | None = None
    checked_from: int | None = Field(default=None, ge=0)


class PushRequest(Wire):
    """A device's push: its log since `from`, a signed checkpoint, the proof, its check, standing and holdings."""

    from_: int = Field(alias="from", ge=0)
    checkpoint: Annotated[str, StringConstraints(max_length=4000)]
    entries: list[EntryIn] = Field(default_factory=list, max_length=5000)
    proof: list[Annotated[str, StringConstraints(max_length=100)]] = Field(default_factory=list, max_length=128)
    self_check: SelfCheckIn | None = None
    holdings: list[tuple[DeploymentSlug, Subject]] | None = None
    subjects: list[SubjectIn] = Field(default_factory=list, max_length=5000)
    deleted: list[Subject] = Field(default_factory=list, max_length=2000)


class AckIn(Wire):
    """A device's acknowledgement of a shred order, with the templates it still holds."""

    order: int = Field(ge=0)
    subject: Subject
    deployment: DeploymentSlug | None = None
    templates_left: int = Field(default=0, ge=0)
    event_id: Short | None = None


class PullRequest(Wire):
    """A device's pull: the cursor it has applied up to, and its acknowledgements."""

    applied: int | None = None
    acks: list[AckIn] = Field(default_factory=list, max_length=2000)


def _checked(model: type[Wire], raw: bytes) -> None:
    """Refuse a body whose fields do not have the shape `model` gives, naming the first field that does not."""
    try:
        model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the body"
        raise InputError(f"{where}: {first['msg']}") from None


class WipeView(BaseModel):
    """A wipe the hub ordered and when the device acknowledged it."""

    reason: str
    ordered_at: str | None
    acked_at: str | None


class DeviceView(BaseModel):
    """A paired device as the hub sees it (no biometric data; subject counts only)."""

    id: str
    name: str
    site: str | None
    status: Literal["active", "suspended", "unpaired", "lost"]
    deployments: list[str]
    paired_at: str
    last_seen_at: str | None
    online: bool = Field(description="active and seen within the last 5 minutes (refused devices never are)")
    behind: int = Field(description="hub audit entries the device has not applied yet")
    log_size: int = Field(description="entries of the device's audit log verified by the hub")
    audit: Literal["verified", "flagged"]
    stored_subjects: int = Field(description="subjects it holds; 0 once a wipe is acknowledged or its bound passed")
    pending_shreds: int = Field(description="withdrawals or deletions it has not applied yet, online or not")
    unconfirmed_shreds: int = Field(description="of those, older than 5 minutes")
    wipe: WipeView | None
    holds_until: str | None = Field(description="when it shreds its keys by itself if it stays out of touch")
    flag: str | None
    flagged_at: str | None


class PullAnswer(BaseModel):
    """What changed for a device since its cursor: deployments, subjects' standing, deletions, shred orders."""

    device: str
    log_size: int = Field(description="entries of the device's log the hub holds: the next push starts there")
    since: int
    cursor: int
    more: bool
    hub_time: str
    deployments: list[dict[str, Any]]
    subjects: list[dict[str, Any]]
    deleted: list[str]
    shred: list[dict[str, Any]]
    wipe: dict[str, Any] | None = Field(description="a wipe order: shred every key, then POST /api/v1/edge/wiped")


class PushAnswer(BaseModel):
    """How much of the device's log the hub holds, verified, and how many standing steps it took."""

    device: str
    log_size: int
    applied: int


class WipedAnswer(BaseModel):
    """The hub's receipt of a device's wipe: from now on it no longer counts that device's templates."""

    device: str
    wipe: str = Field(description="why the device wiped: unpair, lost, suspend or offline")
    acknowledged: datetime


class NodeView(BaseModel):
    """This node: hub or device; a device's hub and last sync."""

    kind: Literal["hub", "device"]
    hub_url: str | None = None
    device_id: str | None = None
    last_sync_at: str | None = None
    deployments: list[str] = []


def hub_of(request: Request, svc: Service) -> Hub:
    """The hub role of this server; refused on a device."""
    if node_kind(svc.home) != "hub":
        raise InputError("this node is a device: pairing and device administration happen on the hub")
    return hub_for(request.app, svc)


def hub_for(app: Any, svc: Service) -> Hub:
    """The one Hub of this application (made on first use)."""
    hub = getattr(app.state, "edge_hub", None)
    if hub is None:
        hub = app.state.edge_hub = Hub(svc.gate, svc.home)
    return hub


async def _signed_json(request: Request, hub: Hub, wiping: bool = False) -> tuple[Any, dict[str, Any]]:
    raw = await request.body()
    # A pull or a wipe report (`wiping`) is taken from a device whose wipe is pending, and from a suspended device.
    device = await run_in_threadpool(
        hub.authenticate, dict(request.headers), request.method, request.url.path, raw, wiping, wiping
    )
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise InputError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise InputError("the body is a JSON object")
    return device, data


def _signed_answer(hub: Hub, device_id: str, data: dict[str, Any]) -> Response:
    raw = json.dumps(data, separators=(",", ":"), default=str).encode()
    return Response(
        raw, media_type="application/json", headers={signing.HUB_SIGNATURE_HEADER: hub.sign(device_id, raw)}
    )


@router.get("/api/v1/edge/hub", response_model=HubKey)
def hub_key(request: Request, svc: ServiceDep) -> dict[str, Any]:
    """The hub's public key and fingerprint (public: a joining device checks it against its token first)."""
    hub = hub_of(request, svc)
    pem = hub.key.public.pem()
    return {"hub_key": pem, "fingerprint": signing.fingerprint(pem)}


@router.post("/api/v1/edge/join", response_model=JoinAnswer, status_code=201, responses={201: SIGNED})
def join(body: JoinRequest, request: Request, svc: ServiceDep) -> Response:
    """Pair a device with a one-time pairing token (no API key: the token is the credential)."""
    hub = hub_of(request, svc)
    answer = hub.join(body.token, body.name, body.device_key, body.audit_key)
    response = _signed_answer(hub, answer["device_id"], answer)
    response.status_code = 201
    return response


@router.post("/api/v1/edge/pull", response_model=PullAnswer, responses={200: SIGNED})
async def pull(request: Request, svc: ServiceDep) -> Response:
    """A device's signed pull: `{"applied": cursor, "acks": [...]}`; the changes since its cursor."""
    hub = hub_of(request, svc)
    device, data = await _signed_json(request, hub, wiping=True)
    _checked(PullRequest, await request.body())
    acks, applied = data.get("acks") or [], int(data.get("applied") or 0)
    feed = await run_in_threadpool(hub.pull, device, applied, acks)
    return _signed_answer(hub, device.id, feed)


@router.post("/api/v1/edge/push", response_model=PushAnswer, responses={200: SIGNED})
async def push(request: Request, svc: ServiceDep) -> Response:
    """A device's signed push of its audit entries, checkpoint, consistency proof, standing and holdings."""
    hub = hub_of(request, svc)
    device, data = await _signed_json(request, hub)
    _checked(PushRequest, await request.body())  # nothing is written before every field has its shape
    result = await run_in_threadpool(hub.push, device, data)
    return _signed_answer(hub, device.id, result)


@router.post("/api/v1/edge/wiped", response_model=WipedAnswer, responses={200: SIGNED})
async def wiped(request: Request, svc: ServiceDep) -> Response:
    """A device's signed report that it shredded its keys (`WipedRequest`): the hub stops counting its holdings."""
    hub = hub_of(request, svc)
    device, data = await _signed_json(request, hub, wiping=True)
    try:
        body = WipedRequest.model_validate(data)
    except ValidationError:
        raise InputError("a wipe report names its reason: unpair, lost, suspend or offline") from None
    result = await run_in_threadpool(hub.record_wipe, device, body.model_dump())
    return _signed_answer(hub, device.id, result)


@router.post("/api/v1/devices/tokens", response_model=TokenAnswer, status_code=status.HTTP_201_CREATED)
def mint_token(body: TokenRequest, request: Request, svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """Mint a pairing token for up to `devices` devices (of a site) of these device-storage deployments."""
    token = hub_of(request, svc).mint_token(body.deployments, key.actor, body.hours, body.devices, body.site)
    return {
        "id": token.id,
        "token": token.token,
        "deployments": list(token.deployments),
        "expires_at": token.expires_at,
        "devices": token.devices,
        "site": token.site,
    }


class DevicePage(BaseModel):
    """A page of paired devices, by ID."""

    items: list[DeviceView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


@router.get("/api/v1/devices", response_model=DevicePage)
def list_devices(
    request: Request,
    svc: ServiceDep,
    key: Reader,
    site: Annotated[SiteName | None, Query()] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The paired devices (of a site), by ID: status, last contact, audit standing, pending shreds and wipe."""
    return page_of(hub_of(request, svc).devices(site), "id", limit, cursor)


@router.post("/api/v1/devices/{device_id}/suspend", response_model=DeviceView)
def suspend(
    device_id: DeviceId, request: Request, svc: ServiceDep, key: Admin, wipe: Annotated[bool, Query()] = False
) -> dict[str, Any]:
    """Suspend a device: its pushes are refused and its pulls told only the shreds it owes (it refuses faces) until
    it is resumed; `wipe=true` has it shred its keys at its next contact first."""
    return hub_of(request, svc).set_status(device_id, "suspended", key.actor, wipe)


@router.post("/api/v1/devices/{device_id}/lost", response_model=DeviceView)
def lost(device_id: DeviceId, request: Request, svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """Report a device lost or stolen: it shreds its keys at its next contact (or by itself past its bound)."""
    return hub_of(request, svc).set_status(device_id, "lost", key.actor)


@router.post("/api/v1/sites/{site}/{action}", response_model=list[DeviceView])
def site_action(
    site: SitePath,
    action: Literal["suspend", "suspend-wipe", "resume", "unpair", "lost"],
    request: Request,
    svc: ServiceDep,
    key: Admin,
) -> list[dict[str, Any]]:
    """The same change for every device of a site: suspend (with a wipe or not), resume, unpair or lost."""
    states = {"suspend": "suspended", "suspend-wipe": "suspended", "resume": "active", "unpair": "unpaired"}
    return hub_of(request, svc).set_site_status(site, states.get(action, action), key.actor, action == "suspend-wipe")


@router.post("/api/v1/devices/{device_id}/resume", response_model=DeviceView)
def resume(device_id: DeviceId, request: Request, svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """Resume a suspended or flagged device (after an admin has looked at its flag)."""
    return hub_of(request, svc).set_status(device_id, "active", key.actor)


@router.delete("/api/v1/devices/{device_id}", response_model=DeviceView)
def unpair(device_id: DeviceId, request: Request, svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """Unpair a device for good: it shreds its keys at its next contact, then is refused; its pushed log is kept."""
    return hub_of(request, svc).set_status(device_id, "unpaired", key.actor)


@router.get("/api/v1/node", response_model=NodeView)
def this_node(svc: ServiceDep, key: Reader) -> dict[str, Any]:
    """Whether this node is a hub or a device, and a device's hub and last sync."""
    here = svc.gate.node()
    out: dict[str, Any] = {"kind": here.kind, "hub_url": here.hub_url}
    if here.hub_url is not None:
        from facegate.edge.device import Device

        link = Device(svc.gate, svc.home).link()
        if link is not None:
            out |= {"device_id": link.device_id, "deployments": [d for d in link.deployments.split(",") if d]}
        out["last_sync_at"] = here.last_sync_at and here.last_sync_at.isoformat()
    return out
