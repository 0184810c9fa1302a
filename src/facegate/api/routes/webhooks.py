"""Webhooks, for admins: register a URL for events (its signing secret shown once), list, remove, ping, and
read each hook's deliveries."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field

from facegate import webhooks

from ..auth import Admin, ServiceDep
from ..paging import Cursor, Limit, next_cursor, page_of, read_cursor, read_int_cursor
from ..responses import Answer, Timestamp

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
HookId = Annotated[str, Path(pattern=r"^wh_[0-9a-f]{16}$", description="A webhook's ID.")]
EventName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.]{0,63}$", examples=["subject.withdrawn"])]


class WebhookRequest(BaseModel):
    """A receiver to register: where to POST, and which events."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"url": "https://hooks.example.com/facegate", "events": ["subject.withdrawn", "subject.deleted"],
                 "description": "HR system: remove badges"}
            ]
        },
    )  # fmt: skip

    url: str = Field(max_length=2000, description="http:// or https:// URL that receives the POSTs.")
    events: list[EventName] = Field(min_length=1, max_length=32, description="Names from GET /webhooks/events.")
    description: str = Field("", max_length=200)


class Webhook(Answer):
    """A registered receiver (never its secret)."""

    id: str
    url: str
    events: list[str]
    description: str
    created_at: Timestamp
    created_by: str


class WebhookCreated(Webhook):
    """A receiver just registered, with its signing secret: shown in this answer only."""

    secret: str = Field(description="whsec_…: the HMAC-SHA256 key of the webhook-signature header.")


class WebhookPage(Answer):
    """A page of receivers, by ID."""

    items: list[Webhook]
    next_cursor: str | None


class WebhookEvent(Answer):
    """An event a receiver can subscribe to."""

    name: str
    description: str


class Delivery(Answer):
    """One message to one receiver: what was sent, how often, and how it went (retried with backoff)."""

    id: int
    hook_id: str
    message_id: str = Field(description="The webhook-id header, the same on every retry.")
    event: str
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: Timestamp
    next_attempt_at: Timestamp | None
    last_status: int | None = Field(description="The receiver's HTTP status on the last attempt, if it answered.")
    last_error: str | None
    delivered_at: Timestamp | None
    payload: dict[str, Any] = Field(description="The JSON body sent: id, type, timestamp, data.")


class DeliveryPage(Answer):
    """A page of a receiver's deliveries, newest first."""

    items: list[Delivery]
    next_cursor: str | None


class Queued(Answer):
    """A delivery queued; the sender posts it within seconds."""

    delivery_id: int


class WebhookEventPage(Answer):
    """A page of the events a receiver can subscribe to, by name."""

    items: list[WebhookEvent]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


@router.get("/events", response_model=WebhookEventPage, operation_id="list_webhook_events")
def list_events(key: Admin, limit: Limit = 100, cursor: Cursor = None) -> dict[str, Any]:
    """The events a receiver can subscribe to, by name."""
    events = [{"name": name, "description": text} for name, text in webhooks.EVENTS.items()]
    return page_of(events, "name", limit, cursor)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated, operation_id="create_webhook")
def create_webhook(body: WebhookRequest, svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """Register a receiver; `secret` signs its deliveries and is shown in this answer only."""
    hook, secret = svc.webhooks.register(body.url, body.events, body.description, key.actor)
    return {**hook.to_dict(), "secret": secret}


@router.get("", response_model=WebhookPage, operation_id="list_webhooks")
def list_webhooks(svc: ServiceDep, key: Admin, limit: Limit = 100, cursor: Cursor = None) -> dict[str, Any]:
    """The registered receivers, by ID."""
    hooks = svc.webhooks.page(limit, read_cursor(cursor))
    return {"items": [h.to_dict() for h in hooks], "next_cursor": next_cursor([h.id for h in hooks], limit)}


@router.get("/{hook_id}", response_model=Webhook, operation_id="get_webhook")
def get_webhook(hook_id: HookId, svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """One receiver."""
    return svc.webhooks.get(hook_id).to_dict()


@router.delete("/{hook_id}", response_model=Webhook, operation_id="delete_webhook")
def delete_webhook(hook_id: HookId, svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """Remove a receiver and its undelivered messages."""
    return svc.webhooks.remove(hook_id).to_dict()


@router.post(
    "/{hook_id}/ping", status_code=status.HTTP_202_ACCEPTED, response_model=Queued, operation_id="ping_webhook"
)
def ping_webhook(hook_id: HookId, svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """Queue a signed `ping` message to the receiver, to check it (see its deliveries for the result)."""
    return {"delivery_id": svc.webhooks.ping(hook_id)}


@router.get("/{hook_id}/deliveries", response_model=DeliveryPage, operation_id="list_webhook_deliveries")
def list_deliveries(
    hook_id: HookId, svc: ServiceDep, key: Admin, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    """The receiver's deliveries, newest first: state, attempts, last status, and the body sent."""
    items = svc.webhooks.deliveries(hook_id, limit, read_int_cursor(cursor))
    return {"items": items, "next_cursor": next_cursor([d["id"] for d in items], limit)}
