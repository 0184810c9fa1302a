"""Every error class facegate raises, in one tree; each carries its CLI exit code, HTTP status and problem `code`.

FacegateError
├── InputError (exit 2, 422)            bad input: nothing changed
│   ├── NotFoundError (404), TooLargeError (413), ConflictError (409), CheckpointError, UnknownParameterError
│   ├── ImageError: EmptyImage, FileTooLarge, NotAnImage, TooManyPixels, TooMuchMemory, TruncatedImage, CorruptImage
│   ├── FaceQualityError: NoFace, MultipleFaces, FaceTooSmall, FaceTurned, FaceBlurred
│   └── ModelMismatchError, CalibrationError (MissingCalibrationError), TransitionError
├── RefusedError (exit 3, 403)          the rules refuse: rule IDs and alternatives (LivenessError)
├── ForbiddenError (exit 3, 403)        the caller may not ask (DeviceRefused, HubRefused)
├── UnauthorizedError (401)
├── Unavailable (exit 75, 503 + Retry-After)   retryable: DecoderBusyError, HubUnreachable, EngineUnavailable
├── TamperedError (exit 4, 409)
├── KeyUnavailableError, ScrubIncompleteError (exit 1, answered as `internal`)
└── WebError                            a console or portal page's error, with its status
MissingNodeError (a LookupError)        the audit tree's stored node is absent: the audit package turns it into a
                                        TamperedError or a verification problem; it never reaches a caller

Every exception class of facegate lives here (tests/test_import_contracts.py holds it), with three kinds of
exception, none of them raised by facegate's server or CLI to a caller: a private class (`_Name`) that never
leaves its module; facegate.client.problems, the Python client's mirror of the API's problem answers (`ApiError`
and its subclasses, raised in the client's process from an answer's `code` and `type`; a FacegateError, so
`except FacegateError` catches both sides); and facegate/audit/standalone_verify.py, the auditors' one-file
verifier, which imports nothing of facegate.
"""

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

    def detail_zh(self) -> str | None:
        """Its specifics in Chinese for a zh caller, where the code's sentence alone would drop them."""
        return None


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


class UnknownParameterError(InputError):
    """A query parameter the route does not declare."""

    code = "unknown_parameter"

    def __init__(self, unknown: list[str], takes: list[str]) -> None:
        super().__init__(f"unknown query parameter {', '.join(unknown)}: this route takes {', '.join(takes) or 'none'}")
        self.unknown, self.takes = unknown, takes

    def detail_zh(self) -> str:
        """The parameters named in Chinese."""
        return f"未知的查询参数：{'、'.join(self.unknown)}。此路由接受：{'、'.join(self.takes) or '无'}。"


class TransitionError(InputError):
    """A lifecycle step that does not exist from the current status (e.g. activating a retired deployment)."""

    code = "invalid_transition"


# ---- images (engine/images.py) ----
class ImageError(InputError):
    """The bytes given as an image cannot be used."""


class EmptyImageError(ImageError):
    """The file or upload has no bytes."""

    code = "empty_image"


class FileTooLargeError(ImageError, TooLargeError):
    """The file is larger than the configured maximum."""

    code = "too_large"


class NotAnImageError(ImageError):
    """The bytes are not a JPEG, PNG or WebP image (text, HTML, SVG, an archive, another format)."""

    code = "not_an_image"


class TooManyPixelsError(ImageError):
    """The header announces more pixels than allowed: a decompression bomb or an oversized photo."""

    code = "too_many_pixels"


class TooMuchMemoryError(ImageError, TooLargeError):
    """Decoding the image would take more memory than allowed (a 16-bit or many-band bomb)."""

    code = "too_much_memory"


class TruncatedImageError(ImageError):
    """The image stops before its end."""

    code = "truncated_image"


class CorruptImageError(ImageError):
    """The image's data cannot be decoded."""

    code = "corrupt_image"


# ---- faces (engine/quality.py) ----
class FaceQualityError(InputError):
    """The photo has no usable face for the operation asked."""


class NoFaceError(FaceQualityError):
    """No face was found in the photo."""

    code = "no_face"


class MultipleFacesError(FaceQualityError):
    """More than one face was found where exactly one is needed (enrollment)."""

    code = "several_faces"


class DifferentPeopleError(InputError):
    """Photos enrolled for one subject are not all of one person."""

    code = "different_people"


class TooManyFacesError(FaceQualityError):
    """A photo shows more faces than one request may search."""

    code = "too_many_faces"


class FaceTooSmallError(FaceQualityError):
    """The face is smaller than the minimum size."""

    code = "face_too_small"


class FaceTurnedError(FaceQualityError):
    """The face is turned, tilted or tipped too far from the camera for a template to be trusted."""

    code = "face_turned"


class FaceBlurredError(FaceQualityError):
    """The face is too blurred for a template to be trusted."""

    code = "face_blurred"


# ---- models (engine/matching.py, engine/calibration.py) ----
class ModelMismatchError(InputError):
    """Two embeddings from different models cannot be compared."""

    code = "model_mismatch"


class CalibrationError(InputError):
    """A calibration file cannot be read, or there is none for a model."""

    code = "calibration_missing"


class MissingCalibrationError(CalibrationError):
    """No calibration exists for the model asked: its 1:N decisions cannot be set."""


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


class DeviceRefused(ForbiddenError):
    """A pairing or a device's request is refused: unknown or used token, unknown, suspended or flagged device.

    Each reason has its own `code` (one of REASONS), so a device or an admin's tool can branch on it."""

    code = "device_refused"
    REASONS = (
        "device_unknown", "device_signature_invalid", "device_inactive", "device_flagged", "device_paired_already",
        "request_replayed", "pairing_token_unknown", "pairing_token_used", "pairing_token_expired",
        "pairing_token_wrong_hub",
    )  # fmt: skip

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        if code not in self.REASONS:
            raise ValueError(f"DeviceRefused code {code!r} is not one of DeviceRefused.REASONS")
        self.code = code


class HubRefused(ForbiddenError):
    """The server answering is not the hub the pairing token names (its key's fingerprint differs)."""

    code = "hub_key_mismatch"


class UnauthorizedError(FacegateError):
    """No credential, or one that is unknown, revoked, forged or expired."""

    status = 401
    kind = "unauthorized"
    code = "unauthorized"


class Unavailable(FacegateError):
    """Retryable: something facegate needs is busy or out of reach now; ask again after `retry_after` seconds.

    The API answers 503 with a `Retry-After` header; the CLI exits 75 (EX_TEMPFAIL of sysexits.h: try again later).
    """

    exit_code = 75
    status = 503
    kind = "unavailable"
    code = "unavailable"
    retry_after = 5  # seconds

    def problem_fields(self) -> dict[str, Any]:
        """The seconds to wait before asking again (also sent as the `Retry-After` header)."""
        return {"retry_after": self.retry_after}


class DecoderBusyError(Unavailable):
    """The decoding memory budget stayed full: too many large images at once."""

    code = "decoder_busy"


class HubUnreachable(Unavailable):
    """The hub did not answer, or answered something that is not its signed state."""

    code = "hub_unreachable"
    retry_after = 30


class EngineUnavailable(Unavailable):
    """The face engine's worker processes broke (one was killed or crashed); they are being restarted."""

    code = "engine_unavailable"


class TamperedError(FacegateError):
    """The audit log failed verification: an entry or checkpoint was altered, removed, reordered or forged."""

    exit_code = 4
    status = 409
    kind = "tampered"
    code = "tampered"


class KeyUnavailableError(FacegateError):
    """A key is missing or does not open what it should (wrong master key, shredded data key)."""


class ScrubIncompleteError(FacegateError):
    """A WAL could not be truncated before the deadline: erased rows may still sit in its old frames."""


class MissingNodeError(LookupError):
    """A stored node or leaf hash that the audit tree needs is absent."""


WEB_KINDS = {401: "unauthorized", 403: "forbidden", 404: "not-found", 409: "conflict", 422: "invalid-input"}


class WebError(FacegateError):
    """An error to show as a page (not found, forbidden, an expired link), with its HTTP status."""

    def __init__(self, status: int, message: str, title: str = "") -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.kind = WEB_KINDS.get(status, "http")
        self.code = "http_error" if self.kind == "http" else self.kind.replace("-", "_")
        self.title = title or {401: "Sign in needed", 403: "Not allowed", 404: "Not found"}.get(status, "Problem")
