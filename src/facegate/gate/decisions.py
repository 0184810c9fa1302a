"""Who asks and what the gate decided: the one place where a gate decision is made into an audit event.

Every Decision the gate returns is made here, and only here does the gate hand an event to the audit log's one
writer (facegate.audit.writer), so no operation can take effect without its record in the same transaction.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn

from facegate.audit import Event
from facegate.audit.group import Check
from facegate.audit.writer import AuditWriter
from facegate.errors import RefusedError
from facegate.events import Op
from facegate.store import Statements


@dataclass(frozen=True)
class Caller:
    """Who asks: an actor such as `operator:alice` or `api_key:k1`, and the request's ID (new for each Caller)."""

    actor: str = "operator:cli"
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class Decision:
    """The outcome of a gate call: what happened, the rule IDs behind it and the audit event that records it."""

    operation: str
    outcome: str
    deployment: str | None
    subject: str | None = None
    rule_ids: tuple[str, ...] = ()
    event_id: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (never contains biometric data)."""
        return {
            "operation": self.operation,
            "outcome": self.outcome,
            "deployment": self.deployment,
            "subject": self.subject,
            "rule_ids": list(self.rule_ids),
            "event_id": self.event_id,
            **self.details,
        }


def event(caller: Caller, operation: Op, decision: Literal["allow", "refuse"], outcome: str, **fields: Any) -> Event:
    """The audit event of one gate decision."""
    return Event(
        actor=caller.actor,
        operation=operation,
        decision=decision,
        outcome=outcome,
        request_id=caller.request_id,
        **fields,
    )


class Recorder:
    """Records the gate's decisions: allowed operations in the transaction of their effect, refusals on their own."""

    def __init__(self, writer: AuditWriter) -> None:
        self.writer = writer

    def record(
        self,
        session: Statements,
        caller: Caller,
        operation: Op,
        outcome: str,
        *,
        deployment: str | None = None,
        subject: str | None = None,
        rule_ids: tuple[str, ...] = (),
        purpose: str | None = None,
        details: dict[str, Any] | None = None,
        audit_fields: dict[str, Any] | None = None,
    ) -> Decision:
        """Append an allowed operation's audit event in `session`, the transaction of its effect; its Decision.

        `audit_fields` go into the audit event only (the event refuses anything biometric)."""
        entry = event(
            caller,
            operation,
            "allow",
            outcome,
            deployment=deployment,
            subject=subject,
            rule_ids=list(rule_ids),
            purpose=purpose,
            **(audit_fields or {}),
        )
        receipt = self.writer.append(session, entry)
        return Decision(operation, outcome, deployment, subject, rule_ids, receipt.event_id, details or {})

    def record_checked(
        self,
        check: Check,
        caller: Caller,
        operation: Op,
        outcome: str,
        *,
        deployment: str | None = None,
        subject: str | None = None,
        purpose: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> Decision | None:
        """Record an allowed operation whose only effect is its event, if `check` passes in the event's transaction.

        Concurrent ones share that transaction and its commit (facegate.audit.group); None when the check failed
        (nothing recorded)."""
        entry = event(caller, operation, "allow", outcome, deployment=deployment, subject=subject, purpose=purpose)
        receipt = self.writer.append_checked(entry, check)
        if receipt is None:
            return None
        return Decision(operation, outcome, deployment, subject, (), receipt.event_id, details or {})

    def refuse(self, caller: Caller, operation: Op, refusal: RefusedError, **fields: Any) -> NoReturn:
        """Record a refusal in its own transaction (it changes nothing else), then raise it."""
        self.record_refusal(caller, operation, refusal, **fields)
        raise refusal

    def record_refusal(
        self, caller: Caller, operation: Op, refusal: RefusedError, outcome: str = "refused", **fields: Any
    ) -> None:
        """Record a refusal in its own transaction (it changes nothing else)."""
        rule_ids = [r for r in refusal.rule_ids if r]
        self.writer.append_alone(event(caller, operation, "refuse", outcome, rule_ids=rule_ids, **fields))

    @contextmanager
    def guarded(self, caller: Caller, operation: Op, **fields: Any) -> Iterator[None]:
        """Turn a RefusedError raised inside the block into an audited refusal."""
        try:
            yield
        except RefusedError as refusal:
            self.refuse(caller, operation, refusal, **fields)
