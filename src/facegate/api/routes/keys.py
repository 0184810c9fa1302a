"""API keys, for admins: mint (the secret is shown once), list, revoke."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from pydantic import Field

from facegate.errors import NotFoundError

from ..auth import Admin, ServiceDep
from ..paging import Cursor, Limit, page_of
from ..responses import Answer, Key, MintedKey
from ..schemas import KeyRequest

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])
KeyId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="A key's public ID.")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MintedKey)
def create_key(body: KeyRequest, svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """Mint a key; `secret` is shown in this answer only (facegate keeps a hash)."""
    for deployment_id in body.deployments:
        svc.gate.deployment_spec(deployment_id)  # a grant names a registered deployment
    minted, secret = svc.keys.create(body.role, svc.clock(), body.name, body.deployments, key.actor)
    return {**minted.to_dict(), "secret": secret}


class KeyPage(Answer):
    """A page of API keys, by ID."""

    items: list[Key]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


@router.get("", response_model=KeyPage)
def list_keys(svc: ServiceDep, key: Admin, limit: Limit = 100, cursor: Cursor = None) -> dict[str, Any]:
    """The keys by ID: name, role, granted deployments, created and revoked times (never a secret)."""
    return page_of([k.to_dict() for k in svc.keys.list()], "id", limit, cursor)


@router.delete("/{key_id}", response_model=Key)
def revoke_key(key_id: KeyId, svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """Revoke a key: it stops working at once."""
    if svc.keys.get(key_id) is None:
        raise NotFoundError(f"no API key {key_id!r}")
    return svc.keys.revoke(key_id, svc.clock()).to_dict()
