"""The tamper-evident audit log: an RFC 9162 Merkle tree of events, signed checkpoints, proofs, verification.

    log = AuditLog.for_home(home)
    with db.session() as session:          # the gate's transaction
        ...                                # the operation's effect
        log.append(session, Event(actor="api_key:k1", operation="verify", decision="allow",
                                  outcome="match", deployment="hq-lobby", purpose="access_control"))
"""

from facegate.audit.checkpoint import Checkpoint, CheckpointError, open_checkpoint, sign_checkpoint
from facegate.audit.event import Event, event_from
from facegate.audit.keys import SigningKey, VerifyingKey, key_path
from facegate.audit.log import AuditLog, InclusionProof, Receipt
from facegate.audit.verify import Problem, VerifyReport, verify

__all__ = [
    "AuditLog",
    "Checkpoint",
    "CheckpointError",
    "Event",
    "InclusionProof",
    "Problem",
    "Receipt",
    "SigningKey",
    "VerifyReport",
    "VerifyingKey",
    "event_from",
    "key_path",
    "open_checkpoint",
    "sign_checkpoint",
    "verify",
]
