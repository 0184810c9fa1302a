"""Schemathesis against the OpenAPI schema, as each role: no request, however odd, gets a 5xx answer, and every
answer is one the schema documents: its status, its media type and its body."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from test_api_fixtures import Env, consenting, make_env

pytestmark = pytest.mark.slow
EXAMPLES = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    environment = make_env(Path(tmp_path_factory.mktemp("schema")))
    env = next(environment)
    consenting(env, "obama")
    yield env
    next(environment, None)


def operations(env: Env) -> list:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", env.client.app)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_schema_covers_every_endpoint_family(env: Env) -> None:
    paths = {op.path for op in operations(env)}
    families = (
        "/api/v1/deployments", "/api/v1/subjects", "/api/v1/audit/verify", "/api/v1/keys", "/api/v1/me",
        "/api/v1/deployments/{deployment_id}/subjects", "/api/v1/audit/entries", "/api/v1/webhooks",
        "/api/v1/webhooks/{hook_id}/deliveries", "/api/v1/deployments/{deployment_id}/identify",
        "/api/v1/deployments/{deployment_id}/subjects/{subject_id}/templates/{template_id}", "/readyz", "/metrics",
    )  # fmt: skip
    assert set(families) <= paths, set(families) - paths


@pytest.mark.parametrize("who", ["admin", "operator", "auditor"])
def test_no_server_error_and_every_answer_as_documented(env: Env, who: str) -> None:
    failures: list[str] = []
    statuses: set[int] = set()
    ops = operations(env)
    for operation in ops:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            case.headers = {**(case.headers or {}), **env.auth(who)}
            response = case.call()
            statuses.add(response.status_code)
            try:
                case.validate_response(response, checks=CHECKS)
            except (Failure, FailureGroup) as exc:
                failures.append(f"{case.method} {case.path}: {response.status_code} {str(exc)[:300]}")

        run()
    assert not failures, "\n".join(dict.fromkeys(failures))
    assert {200, 422} <= statuses, statuses  # the fuzzing reached handlers, not only the validators
