"""The REST API end to end: every endpoint, problem+json errors with rule IDs, limits, request IDs and the log."""

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from gate_fixtures import example, offered
from passkeys import SoftAuthenticator
from starlette.formparsers import MultiPartParser
from test_api_fixtures import DATA, GALLERY, OFFICE, Env, consenting, make_env, photo, spec_json

from facegate.api.service import passkey_origins
from facegate.engine.images import MAX_FILE_BYTES
from facegate.errors import InputError

PROBLEM = "application/problem+json"
OBAMA = f"/api/v1/deployments/{OFFICE}/subjects/obama"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"].startswith("/problems/") and body["title"] and body["detail"]
    return body


def audit_entries(env: Env) -> list[dict]:
    gate = env.svc.gate
    with gate.db.session() as session:
        gate.audit.checkpoint(session)
    response = env.client.get("/api/v1/audit/export?since=2000-01-01&until=2100-01-01", headers=env.auth("auditor"))
    lines = [json.loads(line) for line in response.text.splitlines()]
    return [line["entry"] for line in lines if line["type"] == "entry"]


# ---- service, schema, rules ----


def test_health_and_schema_need_no_key(env: Env) -> None:
    assert env.client.get("/api/v1/health").json() == {"status": "ok"}
    schema = env.client.get("/api/v1/openapi.json").json()
    assert "/api/v1/deployments/{deployment_id}/subjects/{subject_id}/enroll" in schema["paths"]
    assert "bearerAuth" in json.dumps(schema) or "HTTPBearer" in json.dumps(schema)


def test_rules_list_and_one_with_a_slash(env: Env) -> None:
    rules = env.client.get("/api/v1/rules", params={"limit": 500}).json()["items"]
    assert any(r["id"] == "CN25-13a" for r in rules)
    assert env.client.get("/api/v1/rules/CN25-6a/b").json()["id"] == "CN25-6a/b"
    problem(env.client.get("/api/v1/rules/XX-1"), 422)


# ---- deployments ----


def test_check_gives_findings_with_rule_ids(env: Env) -> None:
    hotel = env.client.post("/api/v1/checks", json={"spec": spec_json("hotel-room-door")}, headers=env.auth("auditor"))
    assert hotel.json()["verdict"] == "blocked"
    assert any("CN25-13a" in f["rule_ids"] and f["severity"] == "BLOCK" for f in hotel.json()["findings"])
    office = env.client.post("/api/v1/checks", json={"spec": spec_json("office-entry")}, headers=env.auth("operator"))
    assert office.json()["verdict"] == "allowed"


def test_register_a_blocked_spec_is_refused_with_its_findings_and_kept(env: Env) -> None:
    h = env.auth("admin")
    body = problem(env.client.post("/api/v1/deployments", json={"spec": spec_json("hotel-room-door")}, headers=h), 403)
    assert body["type"] == "/problems/refused" and "CN25-13a" in body["rule_ids"]
    assert (body["profile"], body["severity"], body["status"]) == ("cn2025", "BLOCK", 403)  # `status` is HTTP's
    assert body["rules"][0] == {"id": "CN25-13a", "profiles": ["cn2025"], "severity": "BLOCK", "status": "S"}
    assert body["findings"][0]["field"] == "location.type"
    listed = {d["id"]: d for d in env.client.get("/api/v1/deployments", headers=h).json()["items"]}
    assert listed["harbour-hotel-room-locks"]["status"] == "blocked"
    one = env.client.get("/api/v1/deployments/harbour-hotel-room-locks", headers=h).json()
    assert one["report"]["verdict"] == "blocked"
    again = env.client.put(
        "/api/v1/deployments/harbour-hotel-room-locks", json={"spec": spec_json("hotel-room-door")}, headers=h
    )
    assert problem(again, 403)["rule_ids"] == ["CN25-13a"]


def test_register_update_activate_retire(env: Env) -> None:
    h = env.auth("admin")
    spec = spec_json("office-entry", id="side-door")
    created = env.client.post("/api/v1/deployments", json={"spec": spec, "activate": False}, headers=h)
    assert created.status_code == 201 and created.json()["outcome"] == "draft"
    assert problem(env.client.post("/api/v1/deployments", json={"spec": spec}, headers=h), 409)
    assert env.client.post("/api/v1/deployments/side-door/activate", headers=h).json()["outcome"] == "active"
    renamed = {**spec, "name": "Side door"}
    assert env.client.put("/api/v1/deployments/side-door", json={"spec": renamed}, headers=h).status_code == 200
    assert env.client.get("/api/v1/deployments/side-door", headers=h).json()["name"] == "Side door"
    problem(env.client.put("/api/v1/deployments/side-door", json={"spec": spec_json("office-entry")}, headers=h), 422)
    assert env.client.post("/api/v1/deployments/side-door/retire", headers=h).json()["outcome"] == "retired"
    problem(env.client.post("/api/v1/deployments/nowhere/activate", headers=h), 404)


def test_invalid_specs_are_problems_naming_the_field(env: Env) -> None:
    h = env.auth("admin")
    body = problem(env.client.post("/api/v1/deployments", json={"spec": {"id": "x"}}, headers=h), 422)
    assert any(e["field"].startswith("body.spec.") for e in body["errors"])
    assert "input" not in json.dumps(body["errors"])
    digits = {**spec_json("office-entry"), "id": "1st-floor"}  # IDs start with a letter, as the audit log needs
    body = problem(env.client.post("/api/v1/deployments", json={"spec": digits}, headers=h), 422)
    assert any(e["field"] == "body.spec.id" for e in body["errors"])
    problem(env.client.post("/api/v1/deployments", content=b"{not json", headers=h), 422)


def test_documents(env: Env) -> None:
    notice = env.client.get(f"/api/v1/deployments/{OFFICE}/notice", headers=env.auth("operator"))
    assert notice.headers["content-type"].startswith("text/html") and "<h1>" in notice.text
    md = env.client.get(f"/api/v1/deployments/{OFFICE}/notice?format=md", headers=env.auth("auditor"))
    assert md.text.startswith("# ")
    pia = env.client.get(f"/api/v1/deployments/{OFFICE}/impact-assessment?format=md", headers=env.auth("auditor"))
    assert pia.status_code == 200 and "J. Doe" in pia.text
    problem(env.client.get(f"/api/v1/deployments/{OFFICE}/impact-assessment", headers=env.auth("operator")), 403)


# ---- subjects and biometric operations ----


def test_enroll_verify_after_notice_and_consent_only(env: Env) -> None:
    h = env.auth("operator")
    env.client.post("/api/v1/subjects", json={"id": "obama"}, headers=h)
    refused = problem(env.client.post(OBAMA + "/enroll", files=photo("obama.jpg"), headers=h), 403)
    assert refused["rule_ids"] == ["CN25-5b", "PIPL-17", "PIPL-18"]
    assert refused["alternatives"] == ["access_card", "pin", "passkey"]
    assert env.client.post(OBAMA + "/notice", json={"version": 1}, headers=h).json()["outcome"] == "v1"
    problem(env.client.post(OBAMA + "/notice", json={"version": 7}, headers=h), 422)
    assert env.client.post(OBAMA + "/consents", json={"form": "separate"}, headers=h).status_code == 201
    purposes = {"purpose": ["payment", "access_control"]}  # not the last one deciding
    problem(env.client.post(OBAMA + "/enroll", files=photo("obama.jpg"), data=purposes, headers=h), 422)
    problem(env.client.post(OBAMA + "/verify", files=photo("obama2.jpg"), headers=h), 404)  # nothing enrolled
    enrolled = env.client.post(
        OBAMA + "/enroll", files=photo("obama.jpg"), data={"purpose": "access_control"}, headers=h
    )
    assert enrolled.status_code == 201 and enrolled.json()["outcome"] == "enrolled"
    assert env.client.post(OBAMA + "/verify", files=photo("obama2.jpg"), headers=h).json()["outcome"] == "match"
    other = env.client.post(OBAMA + "/verify", files=photo("biden.jpg"), headers=h).json()
    assert other["outcome"] == "no_match" and "distance" not in json.dumps(other)
    wrong = problem(
        env.client.post(OBAMA + "/verify", files=photo("obama2.jpg"), data={"purpose": "payment"}, headers=h), 403
    )
    assert wrong["rule_ids"] == ["CN25-4b"]
    problem(env.client.post(f"/api/v1/deployments/{OFFICE}/identify", files=photo("obama2.jpg"), headers=h), 403)
    two = [("image", ("a.jpg", (DATA / name).read_bytes(), "image/jpeg")) for name in ("biden.jpg", "obama2.jpg")]
    twice = problem(env.client.post(OBAMA + "/verify", files=two, headers=h), 422)  # not the last one deciding
    assert twice["detail"] == "the form field 'image' is sent 2 times; this route takes it once"


def test_identify_on_a_1n_deployment(env: Env) -> None:
    consenting(env, "biden", GALLERY)
    base = f"/api/v1/deployments/{GALLERY}"
    h = env.auth("operator")
    assert env.client.post(base + "/subjects/biden/enroll", files=photo("biden.jpg"), headers=h).status_code == 201
    found = env.client.post(base + "/identify", files=photo("biden2.jpg"), headers=h).json()
    assert found["outcome"] == "identified" and found["subject"] == "biden"
    # decided at the threshold set for a gallery of one (ACC-1), which the answer states; never a distance
    assert (found["gallery_size"], found["target_fpir"]) == (1, 0.01) and 0.3 < found["threshold"] < 0.5


def test_bad_images_are_clear_problems_and_change_nothing(env: Env) -> None:
    consenting(env, "obama")
    h = env.auth("operator")
    text = {"image": ("face.jpg", b"just words", "image/jpeg")}
    assert "text file" in problem(env.client.post(OBAMA + "/enroll", files=text, headers=h), 422)["detail"]
    two = problem(env.client.post(OBAMA + "/enroll", files=photo("two_people.jpg"), headers=h), 422)
    assert "face" in two["detail"]
    problem(env.client.post(OBAMA + "/enroll", headers=h), 422)  # no image at all
    assert env.client.get("/api/v1/subjects/obama", headers=h).json()["facial_data"] == []


def test_bodies_over_the_limit_are_refused_before_they_are_read(env: Env) -> None:
    h = {
        **env.auth("operator"),
        "content-type": "multipart/form-data; boundary=x",
        "content-length": str(MAX_FILE_BYTES * 2),
    }
    body = problem(env.client.post(OBAMA + "/enroll", content=b"--x--", headers=h), 413)
    assert body["type"] == "/problems/too-large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'--x\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n'
        for _ in range(22):
            yield b"\0" * 1024 * 1024

    streamed = env.client.post(
        OBAMA + "/enroll",
        content=chunks(),
        headers={**env.auth("operator"), "content-type": "multipart/form-data; boundary=x"},
    )
    assert problem(streamed, 413)
    big = {"spec": {"id": "x" * (2 * 1024 * 1024)}}
    assert problem(env.client.post("/api/v1/checks", json=big, headers=env.auth("admin")), 413)


def test_uploads_stay_in_memory() -> None:
    assert MultiPartParser.spool_max_size > MAX_FILE_BYTES


def test_decline_withdraw_alternatives_access_export_delete(env: Env) -> None:
    consenting(env, "obama")
    h = env.auth("operator")
    env.client.post(OBAMA + "/enroll", files=photo("obama.jpg"), headers=h)
    access = env.client.get("/api/v1/subjects/obama", headers=h).json()
    assert access["facial_data"][0]["templates"] == 1 and "vector" not in json.dumps(access)
    export = env.client.get("/api/v1/subjects/obama/export", headers=h).json()
    assert "templates" not in export and "vector" not in json.dumps(export)  # templates go to the subject only
    withdrawn = env.client.post(OBAMA + "/withdraw", headers=h).json()
    assert withdrawn["templates_deleted"] == 1 and "CN25-6d" in withdrawn["rule_ids"]
    declined = env.client.post(OBAMA + "/decline", headers=h).json()
    assert declined["alternatives"] == ["access_card", "pin", "passkey"]
    assert env.client.put(OBAMA + "/alternatives/pin", json={"pin": "493817"}, headers=h).status_code == 200
    ok = env.client.post(OBAMA + "/alternatives/pin/verify", json={"secret": "493817"}, headers=h).json()
    assert ok["verified"] is True
    bad = env.client.post(OBAMA + "/alternatives/pin/verify", json={"secret": "000000"}, headers=h).json()
    assert bad["verified"] is False
    totp = problem(env.client.put(OBAMA + "/alternatives/totp", headers=h), 403)
    assert totp["rule_ids"] == ["CN25-10a"]
    problem(env.client.put(OBAMA + "/alternatives/fingerprint", headers=h), 422)
    assert env.client.delete("/api/v1/subjects/obama", headers=h).json()["outcome"] == "deleted"
    problem(env.client.get("/api/v1/subjects/obama", headers=h), 404)


def test_a_passkey_set_up_by_the_subject_verifies_at_the_operator(env: Env) -> None:
    env.svc.gate.register(example("office-entry", id="hq-door", alternatives=offered("access_card", "passkey")))
    h = {"Authorization": f"Bearer {env.svc.keys.create('operator', env.clock(), 'door', ['hq-door'])[1]}"}
    assert env.client.post("/api/v1/subjects", json={"id": "ana"}, headers=h).status_code == 201
    token = env.svc.make_link("ana", "hq-door", timedelta(hours=1))
    me = {"Authorization": f"Bearer {token}"}
    assert env.client.get("/api/v1/me", headers=me).json()["passkey"] == "not_set"
    phone = SoftAuthenticator("http://testserver")
    options = env.client.post("/api/v1/me/passkey/options", headers=me).json()
    assert options["rp"]["id"] == "testserver" and options["user"]["name"] == "hq-door/ana"
    answer = json.loads(phone.create(options))
    assert env.client.put("/api/v1/me/passkey", json={"credential": answer}, headers=me).json()["outcome"] == "set"
    assert env.client.get("/api/v1/me", headers=me).json()["passkey"] == "set"
    access = env.client.get("/api/v1/subjects/ana", headers=h).json()
    assert [m["method"] for m in access["alternatives_set_up"]] == ["passkey"]
    assert "public_key" not in json.dumps(access)
    door = "/api/v1/deployments/hq-door/subjects/ana/alternatives/passkey"
    options = env.client.post(door + "/options", json={"ceremony": "authenticate"}, headers=h).json()
    verified = env.client.post(door + "/verify", json={"credential": json.loads(phone.get(options))}, headers=h)
    assert verified.json()["verified"] is True and verified.json()["rule_ids"] == ["CN25-10b"]
    replayed = env.client.post(door + "/verify", json={"credential": json.loads(phone.get(options))}, headers=h)
    assert replayed.json()["verified"] is False and "no passkey ceremony" in replayed.json()["reason"]
    problem(env.client.post(door + "/options", json={"ceremony": "guess"}, headers=h), 422)
    problem(env.client.post(door + "/verify", json={"secret": "493817"}, headers=h), 422)
    pin = "/api/v1/deployments/hq-door/subjects/ana/alternatives/pin"
    problem(env.client.put(pin, json={"pin": "1234", "credential": {"x": "y"}}, headers=h), 422)
    env.svc.passkey_origins = ("https://gate.example.com",)  # the pages passkeys are meant for are elsewhere
    options = env.client.post(door + "/options", json={"ceremony": "authenticate"}, headers=h).json()
    assert options["rpId"] == "gate.example.com"
    refused = env.client.post(door + "/verify", json={"credential": json.loads(phone.get(options))}, headers=h)
    assert refused.json()["verified"] is False


@pytest.mark.parametrize("bad", ["gate.example.com", "ftp://gate.example.com", "https://gate.example.com/kiosk"])
def test_passkey_origins_are_checked_at_start(bad: str) -> None:
    assert passkey_origins(" https://gate.example.com , http://localhost:8000/ ") == (
        "https://gate.example.com",
        "http://localhost:8000",
    )
    with pytest.raises(InputError, match="not an origin"):
        passkey_origins(bad)


def test_an_operator_sees_only_its_subjects_and_deployments(env: Env) -> None:
    consenting(env, "obama")
    stranger = env.auth("stranger")
    assert problem(env.client.get("/api/v1/subjects/obama", headers=stranger), 404)["type"] == "/problems/not-found"
    problem(env.client.post(OBAMA + "/verify", files=photo("obama2.jpg"), headers=stranger), 403)
    ids = [d["id"] for d in env.client.get("/api/v1/deployments", headers=stranger).json()["items"]]
    assert ids == [GALLERY]
    problem(env.client.get(f"/api/v1/deployments/{OFFICE}", headers=stranger), 403)


def test_subject_ids_are_checked(env: Env) -> None:
    h = env.auth("operator")
    problem(env.client.post("/api/v1/subjects", json={"id": "not ok"}, headers=h), 422)
    problem(env.client.get("/api/v1/subjects/" + "a" * 80, headers=h), 422)
    bad = problem(env.client.get("/api/v1/deployments/BAD$", headers=h), 422)
    assert [e["field"] for e in bad["errors"]] == ["path.deployment_id"]  # once, though two checks read it
    generated = env.client.post("/api/v1/subjects", json={}, headers=h).json()
    assert generated["subject"].startswith("s-")


# ---- subject self-service ----


def test_subject_self_service_through_a_signed_link(env: Env) -> None:
    consenting(env, "obama")
    h = env.auth("operator")
    env.client.post(OBAMA + "/enroll", files=photo("obama.jpg"), headers=h)
    link = env.client.post(OBAMA + "/links", json={"ttl_minutes": 30}, headers=h).json()
    assert link["url"].endswith(f"/portal/{link['token']}")
    me = {"Authorization": f"Bearer {link['token']}"}
    state = env.client.get("/api/v1/me", headers=me).json()
    assert state["consent"] == "given" and state["templates"] == 1
    assert state["alternatives"] == ["access_card", "pin", "passkey"] and state["passkey"] == "not_set"
    assert "<h1>" in env.client.get("/api/v1/me/notice", headers=me).text
    assert env.client.post("/api/v1/me/notice", headers=me).json()["outcome"] == "v1"
    assert env.client.get("/api/v1/me/export", headers=me).json()["templates"]
    assert env.client.post("/api/v1/me/withdraw", headers=me).json()["templates_deleted"] == 1
    problem(env.client.post("/api/v1/me/consent", json={"agree": False}, headers=me), 422)
    assert env.client.post("/api/v1/me/consent", json={"agree": True}, headers=me).status_code == 201
    assert env.client.post("/api/v1/me/decline", headers=me).json()["outcome"] == "declined"
    entries = audit_entries(env)
    assert any(e["actor"] == "subject:obama" and e["operation"] == "consent.withdraw" for e in entries)
    assert env.client.delete("/api/v1/me", headers=me).json()["outcome"] == "deleted"
    problem(env.client.get("/api/v1/me", headers=me), 401)  # the deletion revoked the link


def test_links_are_short_lived_and_unforgeable(env: Env) -> None:
    consenting(env, "obama")
    token = env.client.post(OBAMA + "/links", headers=env.auth("operator")).json()["token"]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    problem(env.client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}), 401)
    problem(env.client.get("/api/v1/me", headers={"Authorization": f"Bearer {env.keys['admin']}"}), 401)
    env.clock.advance(hours=2)
    assert problem(env.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401)
    key_file = env.svc.home / "keys" / "subject-links.key"
    assert key_file.stat().st_mode & 0o777 == 0o600


# ---- audit ----


def test_audit_verify_prove_export_checkpoint(env: Env) -> None:
    consenting(env, "obama")
    h = env.auth("auditor")
    report = env.client.get("/api/v1/audit/verify", headers=h).json()
    assert report["ok"] is True and report["size"] >= 5
    event = env.client.post(OBAMA + "/decline", headers=env.auth("operator")).json()["event_id"]
    proof = env.client.get(f"/api/v1/audit/events/{event}/proof", headers=h).json()
    assert proof["event_id"] == event and proof["proof"] and proof["checkpoint"]
    problem(env.client.get("/api/v1/audit/events/no-such-event/proof", headers=h), 404)
    export = env.client.get("/api/v1/audit/export?since=2026-01-01&until=2026-12-31", headers=h)
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert json.loads(export.text.splitlines()[0])["type"] == "header"
    problem(env.client.get("/api/v1/audit/export?since=2026-12-31&until=2026-01-01", headers=h), 422)
    assert env.client.post("/api/v1/audit/checkpoints", headers=env.auth("admin")).status_code == 201


def test_the_audit_log_names_the_key_and_the_request(env: Env) -> None:
    h = {**env.auth("operator"), "X-Request-ID": "req-42"}
    response = env.client.post("/api/v1/subjects", json={"id": "alex"}, headers=h)
    assert response.headers["x-request-id"] == "req-42"
    key_id = env.keys["operator"].split("_")[1]
    entry = next(e for e in audit_entries(env) if e["operation"] == "subject.add")
    assert entry["actor"] == f"api_key:{key_id}" and entry["request_id"] == "req-42"
    assert env.keys["operator"].split("_", 2)[2] not in json.dumps(audit_entries(env))
    odd = env.client.get("/api/v1/health", headers={"X-Request-ID": "bad id with spaces"})
    assert odd.headers["x-request-id"] != "bad id with spaces" and len(odd.headers["x-request-id"]) == 32


# ---- keys ----


def test_keys_mint_list_revoke(env: Env) -> None:
    h = env.auth("admin")
    minted = env.client.post("/api/v1/keys", json={"role": "operator", "deployments": [OFFICE]}, headers=h).json()
    assert minted["secret"].startswith("fgk_") and minted["deployments"] == [OFFICE]
    mine = {"Authorization": f"Bearer {minted['secret']}"}
    assert env.client.get("/api/v1/deployments", headers=mine).status_code == 200
    listed = env.client.get("/api/v1/keys", headers=h).text
    assert minted["secret"] not in listed and minted["secret"].split("_", 2)[2] not in listed
    assert env.client.delete(f"/api/v1/keys/{minted['id']}", headers=h).json()["revoked_at"]
    problem(env.client.get("/api/v1/deployments", headers=mine), 401)
    problem(env.client.post("/api/v1/keys", json={"role": "operator", "deployments": ["nowhere"]}, headers=h), 404)
    problem(env.client.post("/api/v1/keys", json={"role": "operator"}, headers=h), 422)
    problem(env.client.delete("/api/v1/keys/0123456789abcdef", headers=h), 404)


def test_reviewer_keys_are_minted_and_listed(env: Env) -> None:
    h = env.auth("admin")
    minted = env.client.post("/api/v1/keys", json={"role": "reviewer", "name": "dpo"}, headers=h)
    assert minted.status_code == 201 and minted.json()["role"] == "reviewer"
    listed = env.client.get("/api/v1/keys", headers=h)
    assert listed.status_code == 200 and "reviewer" in {k["role"] for k in listed.json()["items"]}


def test_keys_are_stored_as_hashes_only(env: Env) -> None:
    from sqlalchemy import text

    with env.svc.gate.db.session(readonly=True) as session:
        stored = json.dumps([list(r) for r in session.execute(text("SELECT * FROM api_key"))], default=str)
    for secret in env.keys.values():
        assert secret.split("_", 2)[2] not in stored


# ---- the request log and the purge schedule ----


def test_the_request_log_has_templates_not_paths_or_secrets(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    consenting(env, "obama")
    token = env.client.post(OBAMA + "/links", headers=env.auth("operator")).json()["token"]
    with caplog.at_level(logging.INFO, logger="facegate.api"):
        env.client.post(OBAMA + "/enroll", files=photo("obama.jpg"), headers=env.auth("operator"))
        env.client.get(f"/portal/{token}")
        env.client.get("/api/v1/audit/export?since=2026-01-01&until=2026-12-31", headers=env.auth("auditor"))
    lines = [r.getMessage() for r in caplog.records if r.name == "facegate.api"]
    assert any(
        line.startswith("POST /api/v1/deployments/{deployment_id}/subjects/{subject_id}/enroll 201") for line in lines
    )
    assert any(line.startswith("GET /portal/{token} 200") for line in lines)
    text = "\n".join(lines)
    assert token not in text and "obama" not in text and "since=" not in text and "fgk_" not in text


def test_the_server_purges_expired_templates_on_its_schedule(tmp_path: Path) -> None:
    from facegate.server import create_app

    env = next(make_env(tmp_path))
    consenting(env, "obama")
    env.client.post(OBAMA + "/enroll", files=photo("obama.jpg"), headers=env.auth("operator"))
    env.clock.advance(days=400)
    app = create_app(tmp_path, gate=env.svc.gate, purge_every=3600)
    from test_api_fixtures import TestClient

    with TestClient(app) as client:  # the schedule purges once at start, in a worker thread
        for _ in range(500):
            if not env.svc.gate.access("obama")["facial_data"]:
                break
            client.get("/api/v1/health")
    assert env.svc.gate.access("obama")["facial_data"] == []
    assert any(e["operation"] == "retire" or e["actor"] == "system:purge" for e in audit_entries(env))


def test_an_operator_cannot_reach_a_subject_of_another_deployment_through_a_link(env: Env) -> None:
    consenting(env, "alice")
    env.client.post(
        f"/api/v1/deployments/{OFFICE}/subjects/alice/enroll", files=photo("obama.jpg"), headers=env.auth("operator")
    )
    stranger = env.auth("stranger")  # granted the gallery only
    minted = env.client.post(f"/api/v1/deployments/{GALLERY}/subjects/alice/links", headers=stranger)
    assert minted.status_code == 404 and OFFICE not in minted.json()["detail"]  # as for an unknown subject


def test_a_subject_with_only_a_pin_and_a_decline_is_still_in_its_deployment(env: Env) -> None:
    h = env.auth("operator")
    env.client.post("/api/v1/subjects", json={"id": "erin"}, headers=h)
    env.client.post(f"/api/v1/deployments/{OFFICE}/subjects/erin/decline", headers=h)
    stranger = env.auth("stranger")
    assert env.client.get("/api/v1/subjects/erin", headers=stranger).status_code == 404
    assert env.client.delete("/api/v1/subjects/erin", headers=stranger).status_code == 404
    assert env.client.get("/api/v1/subjects/erin", headers=h).status_code == 200


def test_only_the_subject_can_ask_again_after_declining(env: Env) -> None:
    consenting(env, "bob")
    h = env.auth("operator")
    base = f"/api/v1/deployments/{OFFICE}/subjects/bob"
    assert env.client.post(base + "/decline", headers=h).json()["outcome"] == "declined"
    claimed = env.client.post(base + "/consents", json={"subject_initiated": True}, headers=h)
    assert claimed.status_code == 422  # an operator cannot even say so: the API has no such field
    assert [e["field"] for e in claimed.json()["errors"]] == ["body.subject_initiated"]
    asked = env.client.post(base + "/consents", json={}, headers=h)
    assert asked.status_code == 403 and asked.json()["rule_ids"][:1] == ["CN25-12b"]
    token = env.client.post(base + "/links", headers=h).json()["token"]
    mine = env.client.post("/api/v1/me/consent", json={"agree": True}, headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 201 and mine.json()["outcome"] == "given"  # the subject asking again may


def test_a_forged_non_ascii_link_is_refused_not_a_server_error(env: Env) -> None:
    assert (
        env.client.get("/api/v1/me", headers={"Authorization": "Bearer fgs.e30.\u00e9".encode("latin-1")}).status_code
        == 401
    )
    assert env.client.get("/portal/fgs.e30.%C3%A9").status_code == 404


def test_an_unexpected_error_is_a_problem_and_logs_no_traceback(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise ValueError("secret input 0.123, 0.456")

    env.client.app.add_api_route("/api/v1/broken", broken)
    with caplog.at_level(logging.INFO):
        response = env.client.get("/api/v1/broken", headers=env.auth("admin"))
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "secret input" not in response.text
    assert all(r.exc_info is None and "secret input" not in r.getMessage() for r in caplog.records)
    assert any("internal error ValueError" in r.getMessage() for r in caplog.records)
