"""The authorization matrix: each role against each endpoint family; every biometric operation needs an operator."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_api_fixtures import OFFICE, Env, consenting, make_env, photo, spec_json

ROLES = ("admin", "auditor", "operator", "stranger", "anonymous")
STANDING = f"/api/v1/deployments/{OFFICE}/subjects/obama"
# family, method, path, body: who may call it (stranger = an operator not granted the office deployment).
MATRIX = [
    ("findings", "POST", "/api/v1/checks", "spec", {"admin", "auditor", "operator", "stranger"}),
    ("findings", "GET", "/api/v1/deployments", None, {"admin", "auditor", "operator", "stranger"}),
    ("findings", "GET", f"/api/v1/deployments/{OFFICE}", None, {"admin", "auditor", "operator"}),
    ("deployments", "POST", "/api/v1/deployments", "new-spec", {"admin"}),
    ("deployments", "PUT", f"/api/v1/deployments/{OFFICE}", "same-spec", {"admin"}),
    ("deployments", "POST", "/api/v1/deployments/nowhere/activate", None, {"admin"}),
    ("deployments", "POST", "/api/v1/deployments/nowhere/retire", None, {"admin"}),
    ("documents", "GET", f"/api/v1/deployments/{OFFICE}/notice", None, {"admin", "auditor", "operator"}),
    ("reports", "GET", f"/api/v1/deployments/{OFFICE}/impact-assessment", None, {"admin", "auditor"}),
    ("subjects", "POST", "/api/v1/subjects", "subject", {"operator", "stranger"}),
    ("subjects", "GET", "/api/v1/subjects/obama", None, {"operator"}),
    ("subjects", "GET", "/api/v1/subjects/obama/export", None, {"operator"}),
    ("subjects", "DELETE", "/api/v1/subjects/nobody", None, {"operator", "stranger"}),
    ("consents", "POST", STANDING + "/notice", None, {"operator"}),
    ("consents", "POST", STANDING + "/consents", "empty", {"operator"}),
    ("consents", "POST", STANDING + "/decline", None, {"operator"}),
    ("consents", "POST", STANDING + "/withdraw", None, {"operator"}),
    ("consents", "POST", STANDING + "/links", None, {"operator"}),
    ("biometrics", "POST", STANDING + "/enroll", "photo", {"operator"}),
    ("biometrics", "POST", STANDING + "/verify", "photo", {"operator"}),
    ("biometrics", "POST", f"/api/v1/deployments/{OFFICE}/identify", "photo", {"operator"}),
    ("alternatives", "PUT", STANDING + "/alternatives/pin", "pin", {"operator"}),
    ("alternatives", "POST", STANDING + "/alternatives/pin/verify", "secret", {"operator"}),
    ("alternatives", "POST", STANDING + "/alternatives/passkey/options", "ceremony", {"operator"}),
    ("audit", "GET", "/api/v1/audit/verify", None, {"admin", "auditor"}),
    ("audit", "GET", "/api/v1/audit/events/none/proof", None, {"admin", "auditor"}),
    ("audit", "GET", "/api/v1/audit/export?since=2026-01-01&until=2026-12-31", None, {"admin", "auditor"}),
    ("audit", "POST", "/api/v1/audit/checkpoints", None, {"admin"}),
    ("keys", "GET", "/api/v1/keys", None, {"admin"}),
    ("keys", "POST", "/api/v1/keys", "key", {"admin"}),
    ("keys", "DELETE", "/api/v1/keys/0123456789abcdef", None, {"admin"}),
    ("self-service", "GET", "/api/v1/me", None, set()),
    ("self-service", "DELETE", "/api/v1/me", None, set()),
]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    environment = make_env(Path(tmp_path_factory.mktemp("roles")))
    env = next(environment)
    consenting(env, "obama")
    yield env
    next(environment, None)


def call(env: Env, method: str, path: str, body: str | None, who: str):
    headers = {} if who == "anonymous" else env.auth(who)
    bodies = {
        "spec": {"json": {"spec": spec_json("office-entry")}},
        "new-spec": {"json": {"spec": spec_json("office-entry", id=f"new-{who}")}},
        "same-spec": {"json": {"spec": spec_json("office-entry")}},
        "subject": {"json": {}},
        "empty": {"json": {}},
        "photo": {"files": photo("obama2.jpg")},
        "pin": {"json": {"pin": "493817"}},
        "secret": {"json": {"secret": "493817"}},
        "ceremony": {"json": {"ceremony": "register"}},
        "key": {"json": {"role": "auditor"}},
    }
    return env.client.request(method, path, headers=headers, **bodies.get(body or "", {}))


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize(
    ("family", "method", "path", "body", "allowed"), MATRIX, ids=[f"{m[0]}:{m[1]} {m[2]}" for m in MATRIX]
)
def test_role_against_endpoint(
    env: Env, family: str, method: str, path: str, body: str | None, allowed: set[str], who: str
) -> None:
    response = call(env, method, path, body, who)
    kind = response.json().get("type") if response.headers["content-type"].startswith("application/problem") else None
    if who == "anonymous" or (family == "self-service"):
        assert response.status_code == 401 and kind == "/problems/unauthorized", response.text
    elif who in allowed:
        assert response.status_code < 500 and kind not in ("/problems/forbidden", "/problems/unauthorized"), (
            response.text
        )
    else:
        assert response.status_code == 403 and kind == "/problems/forbidden", response.text
        assert response.json()["rule_ids"] == []
