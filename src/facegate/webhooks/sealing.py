"""Webhook secrets at rest: sealed under the key store's webhook key, opened only to sign a delivery.

A hook's `whsec_` secret is needed to sign (HMAC), so it cannot be hashed like an API key; it is sealed with
AES-256-GCM under `webhooks`, a key the master key wraps in the key store (kept apart from the data database),
with the hook's ID bound, so a sealed secret copied onto another hook does not open. A copy of the data database
or its backups alone yields no secret.
"""

from sqlalchemy import select, update

from facegate.store import Database
from facegate.vault.keystore import Keystore, seal, unseal

from .models import WebhookRow

KEY_NAME = "webhooks"


def _aad(hook_id: str) -> bytes:
    return f"facegate/webhook/v1/{hook_id}".encode()


def seal_secret(keystore: Keystore, hook_id: str, secret: str) -> bytes:
    """The secret of hook `hook_id` sealed for the database."""
    return seal(keystore.ensure(KEY_NAME), secret.encode(), _aad(hook_id))


def open_secret(keystore: Keystore, hook_id: str, sealed: bytes) -> str:
    """The secret `seal_secret` sealed; KeyUnavailableError when it does not open."""
    return unseal(keystore.key(KEY_NAME), sealed, _aad(hook_id)).decode()


def seal_plain(db: Database, keystore: Keystore) -> int:
    """Seal the plain secrets an older version stored (before migration 0013), blank them, and scrub; how many.

    One small read when there are none, so it runs whenever the webhooks are opened."""
    with db.session(readonly=True) as session:
        if session.scalar(select(WebhookRow.id).where(WebhookRow.secret != "").limit(1)) is None:
            return 0
    with db.session() as session:
        rows = session.execute(select(WebhookRow.id, WebhookRow.secret).where(WebhookRow.secret != "")).all()
        for hook_id, secret in rows:
            sealed = seal_secret(keystore, hook_id, secret)
            session.execute(update(WebhookRow).where(WebhookRow.id == hook_id).values(secret="", sealed_secret=sealed))
    db.scrub()  # SQLite: the old row images leave the WAL too (secure_delete zeroes them in the file)
    return len(rows)
