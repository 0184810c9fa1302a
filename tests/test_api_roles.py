"""The authorization matrix: each role against each endpoint family; every biometric operation needs an operator,
and a metrics key (a Prometheus scraper's) reads /metrics and nothing else."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gate_fixtures import example
from test_api_fixtures import DATA, GALLERY, OFFICE, Env, consenting, make_env, photo, spec_json

ROLES = ("admin", "auditor", "operator", "stranger", "metrics", "anonymous")
STANDING = f"/api/v1/deployments/{OFFICE}/subjects/{{s}}"
Check = Callable[[Any], bool]
# A subject's whole record is out of an operator's reach unless every record of it is in a granted deployment:
# the answer is then the one for an unknown subject (404), never a 403 naming the other deployment.
UNKNOWN_TO_OTHER_OPERATORS = ("/api/v1/subjects/{s}", "/api/v1/subjects/{s}/export", "/api/v1/subjects/{s}/links")
# family, method, path, body, who may call it (stranger = an operator not granted the office deployment), and what an
# allowed caller gets: the status and a check of the body. `{s}`, `{d}`, `{event}`, `{key}` are made for each cell.
MATRIX: list[tuple[str, str, str, str | None, set[str], int, Check]] = [
    ("findings", "POST", "/api/v1/checks", "spec", {"admin", "auditor", "operator", "stranger"}, 200,
     lambda b: b["deployment"] == OFFICE and b["verdict"] != "blocked"),
    ("findings", "GET", "/api/v1/deployments", None, {"admin", "auditor", "operator", "stranger"}, 200,
     lambda b: GALLERY in [r["id"] for r in b["items"]]),
    ("findings", "GET", f"/api/v1/deployments/{OFFICE}", None, {"admin", "auditor", "operator"}, 200,
     lambda b: b["id"] == OFFICE and b["status"] == "active"),
    ("deployments", "POST", "/api/v1/deployments", "new-spec", {"admin"}, 201,
     lambda b: b["operation"] == "deployment.register" and b["outcome"] == "active"),
    ("deployments", "PUT", f"/api/v1/deployments/{OFFICE}", "same-spec", {"admin"}, 200,
     lambda b: b["operation"] == "deployment.update" and b["outcome"] == "active"),
    ("deployments", "POST", "/api/v1/deployments/{d}/activate", "draft", {"admin"}, 200,
     lambda b: b["operation"] == "deployment.activate" and b["outcome"] == "active"),
    ("deployments", "POST", "/api/v1/deployments/{d}/retire", "active", {"admin"}, 200,
     lambda b: b["operation"] == "deployment.retire" and b["outcome"] == "retired"),
    ("documents", "GET", f"/api/v1/deployments/{OFFICE}/notice", None, {"admin", "auditor", "operator"}, 200,
     lambda b: "<h1>" in b),
    ("reports", "GET", f"/api/v1/deployments/{OFFICE}/impact-assessment", None, {"admin", "auditor"}, 200,
     lambda b: "<h1>" in b),
    ("subjects", "POST", "/api/v1/subjects", "subject", {"operator", "stranger"}, 201,
     lambda b: b["operation"] == "subject.add" and b["outcome"] == "added"),
    ("subjects", "GET", "/api/v1/subjects/{s}", "consenting", {"operator"}, 200,
     lambda b: b["consents"][0]["deployment"] == OFFICE),
    ("subjects", "GET", "/api/v1/subjects/{s}/export", "consenting", {"operator"}, 200,
     lambda b: b["consents"][0]["deployment"] == OFFICE and "templates" not in b),
    ("subjects", "DELETE", "/api/v1/subjects/{s}", "consenting", {"operator"}, 200,
     lambda b: b["operation"] == "subject.delete" and b["outcome"] == "deleted"),
    ("consents", "POST", STANDING + "/notice", "added", {"operator"}, 200,
     lambda b: b["operation"] == "notice.shown" and b["outcome"] == "v1"),
    ("consents", "POST", STANDING + "/consents", "noticed", {"operator"}, 201,
     lambda b: b["operation"] == "consent.give" and b["outcome"] == "given" and b["kind"] == "facial_processing"),
    ("consents", "POST", STANDING + "/decline", "added", {"operator"}, 200,
     lambda b: b["outcome"] == "declined" and "pin" in b["alternatives"]),
    ("consents", "POST", STANDING + "/withdraw", "consenting", {"operator"}, 200,
     lambda b: b["outcome"] == "deleted" and b["templates_deleted"] == 0),
    ("consents", "POST", STANDING + "/links", "consenting", {"operator"}, 201,
     lambda b: "/portal/fgs." in b["url"]),
    ("biometrics", "POST", STANDING + "/enroll", "consenting", {"operator"}, 201,
     lambda b: b["outcome"] == "enrolled" and b["raw_image_kept"] is False),
    ("biometrics", "POST", STANDING + "/verify", "enrolled", {"operator"}, 200,
     lambda b: b["outcome"] == "match" and b["match"] is True),
    ("biometrics", "POST", f"/api/v1/deployments/{GALLERY}/identify", "photo", {"operator", "stranger"}, 200,
     lambda b: b["operation"] == "identify" and b["match"] is False),
    ("alternatives", "PUT", STANDING + "/alternatives/pin", "added", {"operator"}, 200,
     lambda b: b["outcome"] == "set" and b["method"] == "pin"),
    ("alternatives", "POST", STANDING + "/alternatives/pin/verify", "pin", {"operator"}, 200,
     lambda b: b["outcome"] == "verified" and b["verified"] is True),
    ("alternatives", "POST", STANDING + "/alternatives/passkey/options", "added", {"operator"}, 200,
     lambda b: len(b["challenge"]) >= 16),
    ("audit", "GET", "/api/v1/audit/verify", None, {"admin", "auditor"}, 200, lambda b: b["ok"] is True),
    ("audit", "GET", "/api/v1/audit/events/{event}/proof", "event", {"admin", "auditor"}, 200,
     lambda b: b["proof"] is not None and b["checkpoint"]["tree_size"] > b["index"]),
    ("audit", "GET", "/api/v1/audit/export?since=2026-01-01&until=2026-12-31", None, {"admin", "auditor"}, 200,
     lambda b: '"checkpoint"' in b or '"entry"' in b),
    ("audit", "POST", "/api/v1/audit/checkpoints", None, {"admin"}, 201, lambda b: b["tree_size"] > 0),
    ("keys", "GET", "/api/v1/keys", None, {"admin"}, 200,
     lambda b: {"admin", "operator"} <= {k["role"] for k in b["items"]}),
    ("keys", "POST", "/api/v1/keys", "key", {"admin"}, 201, lambda b: b["secret"].startswith("fgk_")),
    ("keys", "DELETE", "/api/v1/keys/{key}", "a-key", {"admin"}, 200, lambda b: b["revoked_at"] is not None),
    ("subjects", "DELETE", "/api/v1/subjects/{s}/links", "consenting", {"operator"}, 200,
     lambda b: b["operation"] == "subject.links_revoked" and b["outcome"] == "revoked"),
    ("operations", "GET", "/metrics", None, {"admin", "auditor", "metrics"}, 200,
     lambda b: "facegate_http_requests_total" in b),
    ("self-service", "GET", "/api/v1/me", None, set(), 401, lambda b: True),
    ("self-service", "DELETE", "/api/v1/me", None, set(), 401, lambda b: True),
]  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    environment = make_env(Path(tmp_path_factory.mktemp("roles")))
    env = next(environment)
    consenting(env, "obama")
    yield env
    next(environment, None)


def prepare(env: Env, cell: str, state: str | None) -> dict[str, str]:
    """What one cell's call needs, made fresh for it: a subject in `state`, a deployment, an event, a key."""
    gate, made = env.svc.gate, {"s": cell, "d": cell, "event": "none", "key": "0123456789abcdef"}
    if state in ("added", "noticed", "consenting", "enrolled", "pin"):
        gate.add_subject(cell)
    if state in ("noticed", "consenting", "enrolled"):
        gate.notice_shown(OFFICE, cell)
    if state in ("consenting", "enrolled"):
        gate.give_consent(OFFICE, cell)
    if state == "enrolled":
        gate.enroll(OFFICE, cell, (DATA / "obama.jpg").read_bytes())
    if state == "pin":
        gate.set_alternative(OFFICE, cell, "pin", "493817")
    if state in ("draft", "active"):
        gate.register(example("office-entry", id=cell), activate=state == "active")
    if state == "event":
        made["event"] = gate.add_subject(cell).event_id
    if state == "a-key":
        made["key"] = env.svc.keys.create("auditor", env.clock(), cell)[0].id
    return made


def call(env: Env, method: str, path: str, body: str | None, who: str):
    headers = {} if who == "anonymous" else env.auth(who)
    bodies = {
        "spec": {"json": {"spec": spec_json("office-entry")}},
        "new-spec": {"json": {"spec": spec_json("office-entry", id=f"new-{who}")}},
        "same-spec": {"json": {"spec": spec_json("office-entry")}},
        "subject": {"json": {}},
        "noticed": {"json": {}},
        "photo": {"files": photo("obama2.jpg")},
        "enrolled": {"files": photo("obama2.jpg")},
        "pin": {"json": {"secret": "493817"}},
        "key": {"json": {"role": "auditor"}},
    }
    if path.endswith("/enroll"):
        bodies["consenting"] = {"files": photo("obama.jpg")}
    elif path.endswith("/alternatives/pin"):
        bodies["added"] = {"json": {"pin": "493817"}}
    elif path.endswith("/passkey/options"):
        bodies["added"] = {"json": {"ceremony": "register"}}
    return env.client.request(method, path, headers=headers, **bodies.get(body or "", {}))


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize(
    ("family", "method", "path", "body", "allowed", "status", "outcome"),
    MATRIX,
    ids=[f"{m[0]}:{m[1]} {m[2]}" for m in MATRIX],
)
def test_role_against_endpoint(
    env: Env, family: str, method: str, path: str, body: str | None, allowed: set[str], status: int,
    outcome: Check, who: str,
) -> None:  # fmt: skip
    cell = f"r{MATRIX.index(next(m for m in MATRIX if m[2] == path and m[1] == method))}-{who}"
    unknown = who == "stranger" and path in UNKNOWN_TO_OTHER_OPERATORS
    path = path.format(**prepare(env, cell, body))
    response = call(env, method, path, body, who)
    kind = response.json().get("type") if response.headers["content-type"].startswith("application/problem") else None
    if who == "anonymous" or (family == "self-service"):
        assert response.status_code == 401 and kind == "/problems/unauthorized", response.text
    elif unknown:
        assert response.status_code == 404 and kind == "/problems/not-found", response.text
    elif who in allowed:
        assert response.status_code == status, response.text
        is_json = response.headers["content-type"] == "application/json"
        assert outcome(response.json() if is_json else response.text), response.text
    else:
        assert response.status_code == 403 and kind == "/problems/forbidden", response.text
        assert response.json()["rule_ids"] == []
