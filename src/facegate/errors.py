"""The error classes every room of facegate raises; each carries its CLI exit code and its HTTP status."""

from typing import Any


class FacegateError(Exception):
    """Base of every error facegate reports to a user; its message is safe to show (no biometric data)."""

    exit_code = 1
    status = 503  # HTTP: facegate cannot complete the request; the message is logged, not shown
    kind = "internal"  # the problem type: /problems/<kind>

    def problem_fields(self) -> dict[str, Any]:
        """The members this error adds to its problem+json answer besides type, title, status and detail."""
        return {}


class InputError(FacegateError):
    """The user's input (a file, a spec, an argument) is not acceptable."""

    exit_code = 2
    status = 422
    kind = "invalid-input"


class NotFoundError(InputError):
    """A named thing (deployment, subject, event) does not exist."""

    status = 404
    kind = "not-found"


class TooLargeError(InputError):
    """A file or request body is over its size limit."""

    status = 413
    kind = "too-large"


class ConflictError(InputError):
    """The request conflicts with what exists (for example, a deployment already registered)."""

    status = 409
    kind = "conflict"


class CheckpointError(InputError, ValueError):
    """A checkpoint note is malformed or not signed by the expected key."""


class RefusedError(FacegateError):
    """The rules refuse the operation; carries the rule IDs behind the refusal."""

    exit_code = 3
    status = 403
    kind = "refused"

    def __init__(self, message: str, rule_ids: list[str], alternatives: list[str] | None = None) -> None:
        super().__init__(message)
        self.rule_ids = list(rule_ids)
        self.alternatives = list(alternatives or [])

    def __str__(self) -> str:
        text = f"{self.args[0]} [{', '.join(self.rule_ids)}]"
        if self.alternatives:
            text += f"; alternatives: {', '.join(self.alternatives)}"
        return text

    def problem_fields(self) -> dict[str, Any]:
        """The rule IDs behind the refusal and the alternatives the subject may use."""
        return {"rule_ids": self.rule_ids, "alternatives": self.alternatives}


class LivenessError(RefusedError):
    """Camera frames did not pass the liveness challenge (or the caller must wait); `reasons` names the checks."""

    kind = "liveness-failed"

    def __init__(self, message: str, reasons: list[str], alternatives: list[str], retry_after: int = 0) -> None:
        super().__init__(message, ["CN25-10b"], alternatives)
        self.reasons = list(reasons)
        self.retry_after = retry_after

    def problem_fields(self) -> dict[str, Any]:
        """The failed checks, the seconds to wait before the next challenge, and the alternatives."""
        return {**super().problem_fields(), "reasons": self.reasons, "retry_after": self.retry_after}


class ForbiddenError(FacegateError):
    """The caller's role or grants do not cover the operation (no rule behind it)."""

    exit_code = 3
    status = 403
    kind = "forbidden"

    def problem_fields(self) -> dict[str, Any]:
        """No rule refuses: the caller may not ask, so `rule_ids` is empty."""
        return {"rule_ids": []}


class UnauthorizedError(FacegateError):
    """No credential, or one that is unknown, revoked, forged or expired."""

    status = 401
    kind = "unauthorized"


class TamperedError(FacegateError):
    """The audit log failed verification: an entry or checkpoint was altered, removed, reordered or forged."""

    exit_code = 4
    status = 409
    kind = "tampered"
