"""The error classes every room of facegate raises; each carries its CLI exit code and its HTTP status."""

from typing import Any


class FacegateError(Exception):
    """Base of every error facegate reports to a user; its message is safe to show (no biometric data)."""

    exit_code = 1
    status = 503  # HTTP: facegate cannot complete the request; the message is logged, not shown
    kind = "internal"  # the problem type: /problems/<kind>
    code = "internal"  # the problem's stable `code` (facegate/api/codes.py lists every one with its sentences)

    def problem_fields(self) -> dict[str, Any]:
        """The members this error adds to its problem+json answer besides type, title, status and detail."""
        return {}


class InputError(FacegateError):
    """The user's input (a file, a spec, an argument) is not acceptable."""

    exit_code = 2
    status = 422
    kind = "invalid-input"
    code = "invalid_input"


class NotFoundError(InputError):
    """A named thing (deployment, subject, event) does not exist."""

    status = 404
    kind = "not-found"
    code = "not_found"


class TooLargeError(InputError):
    """A file or request body is over its size limit."""

    status = 413
    kind = "too-large"
    code = "too_large"


class ConflictError(InputError):
    """The request conflicts with what exists (for example, a deployment already registered)."""

    status = 409
    kind = "conflict"
    code = "conflict"


class CheckpointError(InputError, ValueError):
    """A checkpoint note is malformed or not signed by the expected key."""


# The code of a refusal, by the first of its rule IDs found here (a refusal of none of them is `refused`).
REFUSAL_CODES: dict[str, str] = {
    "CN25-5b": "notice_not_shown", "CN25-5c": "notice_not_shown",
    "CN25-6a/b": "consent_missing", "BIPA-15b3": "consent_missing",
    "CN25-6d": "consent_withdrawn", "CN25-6e": "consent_stale",
    "CN25-7a/b": "guardian_consent_missing", "CN25-7c": "minor_not_allowed",
    "CN25-12b": "subject_declined",
    "CN25-8a/b": "transmission_consent_missing", "PIPL-39": "cross_border_consent_missing",
    "CN25-4b": "wrong_purpose",
    "CN25-14a–d": "locked_out",
    "FG-5": "filing_overdue",
}  # fmt: skip


class RefusedError(FacegateError):
    """The rules refuse the operation; carries the rule IDs behind the refusal."""

    exit_code = 3
    status = 403
    kind = "refused"

    def __init__(
        self, message: str, rule_ids: list[str], alternatives: list[str] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.rule_ids = list(rule_ids)
        self.alternatives = list(alternatives or [])
        self._code = code

    @property
    def code(self) -> str:  # type: ignore[override]
        """The refusal's code: given, else that of its first rule ID with one, else `refused`."""
        if self._code:
            return self._code
        return next((REFUSAL_CODES[r] for r in self.rule_ids if r in REFUSAL_CODES), "refused")

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
        code = "liveness_rate_limited" if reasons == ["rate_limited"] else "liveness_failed"
        super().__init__(message, ["CN25-10b"], alternatives, code)
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
    code = "forbidden"

    def problem_fields(self) -> dict[str, Any]:
        """No rule refuses: the caller may not ask, so `rule_ids` is empty."""
        return {"rule_ids": []}


class UnauthorizedError(FacegateError):
    """No credential, or one that is unknown, revoked, forged or expired."""

    status = 401
    kind = "unauthorized"
    code = "unauthorized"


class TamperedError(FacegateError):
    """The audit log failed verification: an entry or checkpoint was altered, removed, reordered or forged."""

    exit_code = 4
    status = 409
    kind = "tampered"
    code = "tampered"
