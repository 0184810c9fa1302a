"""Subjects belong to the deployments that recorded them; templates leave only to their subject; portal links
open only the subject record they were made for, until revoked."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_api_fixtures import GALLERY, OFFICE, Env, consenting, make_env, photo

ALICE = f"/api/v1/deployments/{OFFICE}/subjects/alice"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def enrolled(env: Env, subject: str, picture: str) -> None:
    consenting(env, subject)
    base = f"/api/v1/deployments/{OFFICE}/subjects/{subject}"
    assert env.client.post(base + "/enroll", files=photo(picture), headers=env.auth("operator")).status_code == 201


def link(env: Env, subject: str) -> dict[str, str]:
    made = env.client.post(
        f"/api/v1/deployments/{OFFICE}/subjects/{subject}/links", json={}, headers=env.auth("operator")
    )
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['token']}"}


def test_templates_leave_only_to_their_subject(env: Env) -> None:
    enrolled(env, "alice", "obama.jpg")
    operator = env.client.get("/api/v1/subjects/alice/export", headers=env.auth("operator"))
    assert operator.status_code == 200
    assert "templates" not in operator.json() and "vector" not in operator.text
    assert operator.json()["facial_data"][0]["templates"] == 1  # what is held, without the vectors
    own = env.client.get("/api/v1/me/export", headers=link(env, "alice")).json()
    assert len(own["templates"][0]["vector"]) == 128
    assert env.svc.gate.export("alice").get("templates") is None  # the CLI's operator gets no vectors either


def test_a_link_dies_with_its_subject_and_never_opens_a_recreated_one(env: Env) -> None:
    enrolled(env, "alice", "obama.jpg")
    old = link(env, "alice")
    h = env.auth("operator")
    assert env.client.delete("/api/v1/subjects/alice", headers=h).status_code == 200
    enrolled(env, "alice", "biden.jpg")  # the same ID, another person
    assert env.client.get("/api/v1/me/export", headers=old).status_code == 401
    assert env.client.delete("/api/v1/me", headers=old).status_code == 401
    assert env.client.get("/api/v1/subjects/alice", headers=h).json()["facial_data"][0]["templates"] == 1
    assert env.client.get("/api/v1/me", headers=link(env, "alice")).status_code == 200


def test_an_operator_revokes_a_subjects_links(env: Env) -> None:
    enrolled(env, "alice", "obama.jpg")
    first, second = link(env, "alice"), link(env, "alice")
    revoked = env.client.delete("/api/v1/subjects/alice/links", headers=env.auth("operator"))
    assert revoked.status_code == 200 and revoked.json()["outcome"] == "revoked"
    assert env.client.get("/api/v1/me", headers=first).status_code == 401
    assert env.client.get("/api/v1/me", headers=second).status_code == 401
    assert env.client.get(f"/portal/{second['Authorization'].removeprefix('Bearer ')}").status_code == 404
    assert env.client.get("/api/v1/me", headers=link(env, "alice")).status_code == 200  # a new link works


def test_another_deployments_operator_cannot_attach_to_or_lock_out_a_subject(env: Env) -> None:
    enrolled(env, "alice", "obama.jpg")
    stranger = env.auth("stranger")  # an operator granted the gallery only
    base = f"/api/v1/deployments/{GALLERY}/subjects/alice"
    for path, body in (("/notice", None), ("/consents", {}), ("/decline", None)):
        answer = env.client.post(base + path, json=body, headers=stranger)
        assert answer.status_code == 404, (path, answer.text)
    assert env.client.put(base + "/alternatives/pin", json={"pin": "493817"}, headers=stranger).status_code == 404
    assert env.client.post(base + "/enroll", files=photo("obama2.jpg"), headers=stranger).status_code == 404
    h = env.auth("operator")  # the office's operator still reaches the whole record
    assert env.client.get("/api/v1/subjects/alice", headers=h).status_code == 200
    assert env.client.get("/api/v1/subjects/alice/export", headers=h).status_code == 200
    assert env.client.post(ALICE + "/links", json={}, headers=h).status_code == 201
    assert env.client.delete("/api/v1/subjects/alice", headers=h).status_code == 200


def test_unknown_and_out_of_scope_subjects_answer_alike(env: Env) -> None:
    enrolled(env, "alice", "obama.jpg")
    stranger = env.auth("stranger")
    theirs = env.client.get("/api/v1/subjects/alice", headers=stranger)
    nobody = env.client.get("/api/v1/subjects/nobody", headers=stranger)
    assert theirs.status_code == nobody.status_code == 404
    assert theirs.json()["detail"].replace("alice", "X") == nobody.json()["detail"].replace("nobody", "X")
    assert OFFICE not in json.dumps(theirs.json())
    assert env.client.delete("/api/v1/subjects/alice", headers=stranger).status_code == 404
    assert env.client.get("/api/v1/subjects/alice", headers=env.auth("operator")).status_code == 200


def test_a_subject_nobody_recorded_yet_is_no_operators_to_read_or_delete(env: Env) -> None:
    assert env.client.post("/api/v1/subjects", json={"id": "fresh"}, headers=env.auth("operator")).status_code == 201
    for who in ("operator", "stranger"):
        assert env.client.get("/api/v1/subjects/fresh", headers=env.auth(who)).status_code == 404
        assert env.client.delete("/api/v1/subjects/fresh", headers=env.auth(who)).status_code == 404
    notice = f"/api/v1/deployments/{OFFICE}/subjects/fresh/notice"
    assert env.client.post(notice, headers=env.auth("operator")).status_code == 200  # recording it is how it joins
    assert env.client.get("/api/v1/subjects/fresh", headers=env.auth("operator")).status_code == 200


def test_a_link_is_made_only_for_a_subject_recorded_in_its_deployment_and_is_audited(env: Env) -> None:
    h, stranger = env.auth("operator"), env.auth("stranger")  # the stranger is granted the gallery only
    assert env.client.post("/api/v1/subjects", json={"id": "pending"}, headers=h).status_code == 201
    nowhere = env.client.post(f"/api/v1/deployments/{GALLERY}/subjects/pending/links", json={}, headers=stranger)
    unknown = env.client.post(f"/api/v1/deployments/{GALLERY}/subjects/nobody/links", json={}, headers=stranger)
    assert nowhere.status_code == unknown.status_code == 404  # recorded nowhere yet: no link, as for nobody
    assert nowhere.json()["detail"].replace("pending", "X") == unknown.json()["detail"].replace("nobody", "X")
    office = env.client.post(f"/api/v1/deployments/{OFFICE}/subjects/pending/links", json={}, headers=h)
    assert office.status_code == 404
    enrolled(env, "alice", "obama.jpg")  # recorded in the office: its operator links it there, not in the gallery
    made = env.client.post(ALICE + "/links", json={}, headers=h)
    assert made.status_code == 201
    other = env.client.post(f"/api/v1/deployments/{GALLERY}/subjects/alice/links", json={}, headers=h)
    assert other.status_code == 404
    with env.svc.gate.db.session() as session:
        env.svc.gate.audit.checkpoint(session)
    exported = env.client.get("/api/v1/audit/export?since=2000-01-01&until=2100-01-01", headers=env.auth("auditor"))
    lines = [json.loads(line) for line in exported.text.splitlines()]
    entries = [line["entry"] for line in lines if line["type"] == "entry"]
    links = [e for e in entries if e["operation"] == "subject.link"]
    operator = next(k for k in env.svc.keys.list() if k.name == "operator")
    assert [(e["actor"], e["deployment"], e["subject"], e["outcome"]) for e in links] == [
        (operator.actor, OFFICE, "alice", "made")
    ]
    assert made.json()["token"] not in exported.text
