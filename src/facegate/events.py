"""The audit log's vocabulary: every operation facegate records (`Op`), the entry format's version, and the typed
read of a recorded entry (`Recorded`), so that no reader parses payload JSON or matches operation strings itself.

Writers hand `facegate.audit.Event`s (whose `operation` is an `Op`) to the one writer, `facegate.audit.writer`;
readers (the hub's change feed, the device watch, the attestation check, webhooks) call `read`.
"""

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from facegate.errors import InputError

ENTRY_VERSION = 1  # the version of the entry format written today; `read` refuses a newer one


class Op(StrEnum):
    """Every operation facegate records in the audit log."""

    ENROLL = "enroll"
    VERIFY = "verify"
    IDENTIFY = "identify"
    LIVENESS_CHALLENGE = "liveness.challenge"
    LIVENESS_LOCKOUT = "liveness.lockout"  # a scope (operator key on a deployment, or subject) reached its limit
    DEPLOYMENT_REGISTER = "deployment.register"
    DEPLOYMENT_UPDATE = "deployment.update"
    DEPLOYMENT_ACTIVATE = "deployment.activate"
    DEPLOYMENT_RETIRE = "deployment.retire"
    DEPLOYMENT_ATTEST = "deployment.attest"
    RETIRE = "retire"  # a retired deployment's templates deleted, one subject at a time
    INCIDENT_RECORD = "incident.record"
    SUBJECT_ADD = "subject.add"
    SUBJECT_DELETE = "subject.delete"
    SUBJECT_EXPORT = "subject.export"
    SUBJECT_LINK = "subject.link"  # a portal link made for a subject and deployment (never the link itself)
    SUBJECT_LINKS_REVOKED = "subject.links_revoked"
    TEMPLATE_DELETE = "template.delete"  # one template of a subject, through the collections API
    NOTICE_SHOWN = "notice.shown"
    CONSENT_GIVE = "consent.give"
    CONSENT_WITHDRAW = "consent.withdraw"
    DECLINE = "decline"
    ALTERNATIVE_SET = "alternative.set"
    ALTERNATIVE_VERIFY = "alternative.verify"
    ALTERNATIVE_LOCKOUT = "alternative.lockout"
    PURGE = "purge"
    KEYS_ROTATE = "keys.rotate"
    OVERSIGHT_FILED = "oversight.filed"
    OVERSIGHT_EXPORT = "oversight.export"
    DEVICE_TOKEN = "device.token"
    DEVICE_PAIR = "device.pair"
    DEVICE_JOIN = "device.join"
    DEVICE_SUSPEND = "device.suspend"
    DEVICE_RESUME = "device.resume"
    DEVICE_UNPAIR = "device.unpair"
    DEVICE_LOST = "device.lost"
    DEVICE_FLAGGED = "device.flagged"
    DEVICE_REPLAY = "device.replay"
    DEVICE_WIPE = "device.wipe"
    DEVICE_WIPED = "device.wiped"
    CAMERA_ADD = "camera.add"
    CAMERA_REMOVE = "camera.remove"
    CAMERA_START = "camera.start"
    CAMERA_STOP = "camera.stop"
    AUDIT_PURGE = "audit.purge"


# A subject's standing in a deployment (what a device must know before it recognises them) changes with these.
STANDING = frozenset({Op.NOTICE_SHOWN, Op.CONSENT_GIVE, Op.DECLINE, Op.CONSENT_WITHDRAW})
# These order every node holding the subject's facial data to shred it (the deployment's, or everywhere).
SHRED = frozenset({Op.CONSENT_WITHDRAW, Op.SUBJECT_DELETE})


@dataclass(frozen=True)
class Recorded:
    """A recorded entry as its readers need it; `op` is None for an operation this version does not know."""

    op: Op | None
    decision: str
    outcome: str
    actor: str
    deployment: str | None
    subject: str | None
    index: int | None
    at: str | None
    request_id: str | None
    attestation: dict[str, Any] | None
    fields: dict[str, Any]  # the whole entry, for readers that pass it on (an export, a webhook)

    @property
    def allowed(self) -> bool:
        """Whether the entry records an allowed operation (not a refusal)."""
        return self.decision == "allow"


def op(name: str) -> Op | None:
    """The operation named `name`, or None when this version does not know it."""
    try:
        return Op(name)
    except ValueError:
        return None


def read(payload: str | bytes | dict[str, Any] | None) -> Recorded:
    """The typed view of a stored entry (its JSON payload, or the parsed object); a purged payload reads as empty.

    An entry of a newer format version than this code writes is refused rather than misread.
    """
    entry = json.loads(payload) if isinstance(payload, str | bytes) else dict(payload or {})
    version = entry.get("v", ENTRY_VERSION)
    if not isinstance(version, int) or version > ENTRY_VERSION:
        raise InputError(f"audit entry format version {version!r} is newer than this facegate reads")
    return Recorded(
        op=op(str(entry.get("operation", ""))),
        decision=str(entry.get("decision", "")),
        outcome=str(entry.get("outcome", "")),
        actor=str(entry.get("actor", "")),
        deployment=entry.get("deployment"),
        subject=entry.get("subject"),
        index=entry.get("index"),
        at=entry.get("at"),
        request_id=entry.get("request_id"),
        attestation=entry.get("attestation"),
        fields=entry,
    )
