"""Collections over the API: a deployment's subjects and enrollments with cursor paging, one template deleted,
audit entries filtered and paged."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_api_fixtures import OFFICE, Env, consenting, make_env, photo

BASE = f"/api/v1/deployments/{OFFICE}"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    environment = make_env(Path(tmp_path_factory.mktemp("collections")))
    env = next(environment)
    h = env.auth("operator")
    for subject in ("s1", "s2", "s3", "s4", "s5"):
        consenting(env, subject)
    for name in ("obama.jpg", "obama2.jpg"):
        answer = env.client.post(f"{BASE}/subjects/s1/enroll", files=photo(name), headers=h)
        assert answer.status_code == 201, answer.text
    env.client.post(f"{BASE}/subjects/s5/withdraw", headers=h)
    yield env
    next(environment, None)


def all_pages(env: Env, url: str, who: str, limit: int, **filters: str) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        query = {**filters, "limit": limit, **({"cursor": cursor} if cursor else {})}
        answer = env.client.get(url, params=query, headers=env.auth(who))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_subjects_and_enrollments_page_by_cursor(env: Env) -> None:
    pages = all_pages(env, f"{BASE}/subjects", "auditor", 2)
    subjects = [item["subject"] for page in pages for item in page]
    assert subjects == ["s1", "s2", "s3", "s4", "s5"] and [len(p) for p in pages][:3] == [2, 2, 1]
    first = pages[0][0]
    assert first["consent"] == "given" and len(first["templates"]) == 2
    assert set(first["templates"][0]) == {"id", "model", "created_at", "expires_at"}  # never a vector
    assert pages[2][0]["consent"] == "withdrawn" and pages[2][0]["templates"] == []
    assert env.client.get(f"{BASE}/subjects", headers=env.auth("stranger")).status_code == 403
    assert env.client.get(f"{BASE}/subjects?cursor=%%%", headers=env.auth("admin")).status_code == 422
    assert env.client.get(f"{BASE}/subjects?page=2", headers=env.auth("admin")).json()["code"] == "unknown_parameter"
    assert env.client.get("/api/v1/deployments/nowhere/subjects", headers=env.auth("admin")).status_code == 404


def test_one_template_is_deleted_and_the_others_stay(env: Env) -> None:
    h = env.auth("operator")
    [s1] = [i for i in env.client.get(f"{BASE}/subjects", headers=h).json()["items"] if i["subject"] == "s1"]
    gone, kept = s1["templates"][0]["id"], s1["templates"][1]["id"]
    answer = env.client.delete(f"{BASE}/subjects/s1/templates/{gone}", headers=h)
    assert answer.status_code == 200 and answer.json()["operation"] == "template.delete"
    [s1] = [i for i in env.client.get(f"{BASE}/subjects", headers=h).json()["items"] if i["subject"] == "s1"]
    assert [t["id"] for t in s1["templates"]] == [kept]
    assert env.client.delete(f"{BASE}/subjects/s1/templates/{gone}", headers=h).status_code == 404
    assert env.client.delete(f"{BASE}/subjects/s2/templates/{kept}", headers=h).status_code == 404  # not s2's
    still = env.client.post(f"{BASE}/subjects/s1/verify", files=photo("obama2.jpg"), headers=h)
    assert still.json()["match"] is True


def test_audit_entries_are_filtered_and_paged_newest_first(env: Env) -> None:
    pages = all_pages(env, "/api/v1/audit/entries", "auditor", 2, operation="consent.give")
    entries = [e for page in pages for e in page]
    assert [e["subject"] for e in entries] == ["s5", "s4", "s3", "s2", "s1"]
    assert all(e["operation"] == "consent.give" for e in entries)
    indices = [e["index"] for e in entries]
    assert indices == sorted(indices, reverse=True)
    refused = env.client.get("/api/v1/audit/entries?decision=refuse&subject=s1", headers=env.auth("admin")).json()
    assert refused["items"] == []
    assert env.client.get("/api/v1/audit/entries", headers=env.auth("operator")).status_code == 403
    far = env.client.get("/api/v1/audit/entries?until=9999-12-31", headers=env.auth("auditor"))
    assert far.status_code == 200
