"""The OpenAPI schema is the whole contract: every answer is a named model, every error a problem with its status."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from facegate.api.problems import MEDIA_TYPE, TYPES
from facegate.api.responses import Decision
from facegate.audit.checkpoint import CheckpointError
from facegate.errors import (
    ConflictError,
    FacegateError,
    FileTooLargeError,
    ForbiddenError,
    InputError,
    NotFoundError,
    RefusedError,
    TamperedError,
    TooLargeError,
    UnauthorizedError,
    WebError,
)
from facegate.server import create_app

DOCUMENTS = {"text/html", "text/markdown", "application/x-ndjson", "text/plain"}  # answers that are not JSON documents


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return create_app(Path(tmp_path_factory.mktemp("openapi")), purge_every=None).openapi()


PROBES = {"/api/v1/health", "/healthz", "/readyz", "/metrics"}


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def test_every_answer_is_a_named_model_or_a_document(schema: dict) -> None:
    untyped = []
    for method, path, op in operations(schema):
        for status, answer in op["responses"].items():
            if not status.startswith("2"):
                continue
            content = answer.get("content", {})
            assert content, f"{method} {path} {status} declares no content"
            json_schema = content.get("application/json", {}).get("schema")
            if json_schema is None:
                assert set(content) <= DOCUMENTS, f"{method} {path}: {set(content)}"
                continue
            named = json_schema.get("$ref") or json_schema.get("items", {}).get("$ref")
            if named is None:
                untyped.append(f"{method} {path} {status}: {json_schema}")
    assert not untyped, "\n".join(untyped)
    assert len(operations(schema)) >= 44


def test_every_error_answer_is_a_problem(schema: dict) -> None:
    for method, path, op in operations(schema):
        errors = {s: a for s, a in op["responses"].items() if s[0] in "45"}
        if path not in PROBES:  # take no input and name nothing
            assert {"404", "422"} <= set(errors), f"{method} {path}"
        for status, answer in errors.items():
            assert answer["content"] == {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}, (
                f"{method} {path} {status}"
            )
    assert "HTTPValidationError" not in schema["components"]["schemas"]  # FastAPI's own 422 shape is never sent


def test_the_decision_documents_every_field_and_allows_no_other(schema: dict) -> None:
    fields = schema["components"]["schemas"]["Decision"]["properties"]
    for name in ("match", "verified", "templates_deleted", "totp_uri", "qr_svg", "code", "expires_at", "findings"):
        assert fields[name]["description"], name
    assert schema["components"]["schemas"]["Decision"]["additionalProperties"] is False
    base = {
        "operation": "verify",
        "outcome": "match",
        "deployment": "d",
        "subject": "s",
        "rule_ids": [],
        "event_id": "e",
    }
    assert Decision.model_validate({**base, "match": True}).match is True
    with pytest.raises(ValidationError, match="distance"):
        Decision.model_validate({**base, "distance": 0.31})


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (InputError("bad"), 422, "invalid-input"),
        (NotFoundError("none"), 404, "not-found"),
        (ConflictError("twice"), 409, "conflict"),
        (TooLargeError("big"), 413, "too-large"),
        (FileTooLargeError("big"), 413, "too-large"),
        (CheckpointError("unsigned"), 422, "invalid-input"),
        (RefusedError("no", ["CN25-13a"]), 403, "refused"),
        (ForbiddenError("role"), 403, "forbidden"),
        (UnauthorizedError("who"), 401, "unauthorized"),
        (TamperedError("altered"), 409, "tampered"),
        (FacegateError("broken"), 503, "internal"),
        (WebError(404, "gone"), 404, "not-found"),
        (WebError(403, "no"), 403, "forbidden"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_every_error_carries_its_status_and_problem_type(error: FacegateError, status: int, kind: str) -> None:
    assert (error.status, error.kind) == (status, kind)
    assert kind in TYPES
    assert isinstance(CheckpointError("x"), ValueError)  # callers that catch ValueError keep working


def test_a_refusal_and_a_forbidden_answer_carry_their_rule_ids() -> None:
    assert RefusedError("no", ["CN25-13a"], ["pin"]).problem_fields() == {
        "rule_ids": ["CN25-13a"],
        "alternatives": ["pin"],
    }
    assert ForbiddenError("role").problem_fields() == {"rule_ids": []}
    assert InputError("bad").problem_fields() == {}
