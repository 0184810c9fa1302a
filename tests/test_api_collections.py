"""Collections over the API: a deployment's subjects and enrollments with cursor paging, one template deleted,
audit entries filtered and paged."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_api_fixtures import OFFICE, Env, consenting, make_env, photo

from facegate.home import choose_node_kind

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
    assert still.json()["match"] is True  # the server now holds s1's templates in memory
    assert env.client.delete(f"{BASE}/subjects/s1/templates/{kept}", headers=h).status_code == 200
    gone_too = env.client.post(f"{BASE}/subjects/s1/verify", files=photo("obama2.jpg"), headers=h)
    assert gone_too.status_code == 404, gone_too.text  # no deleted template is matched from memory
    assert env.client.post(f"{BASE}/subjects/s1/enroll", files=photo("obama.jpg"), headers=h).status_code == 201


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


def test_audit_entries_refuse_a_range_that_ends_before_it_begins(env: Env) -> None:
    backwards = env.client.get("/api/v1/audit/entries?since=2026-12-06&until=2026-12-01", headers=env.auth("auditor"))
    assert backwards.status_code == 422 and backwards.json()["code"] == "invalid_input", backwards.text
    assert backwards.json()["detail"] == "until (2026-12-01) comes before since (2026-12-06): no day is in that range"
    one_day = env.client.get("/api/v1/audit/entries?since=2026-12-06&until=2026-12-06", headers=env.auth("auditor"))
    assert one_day.status_code == 200


def list_routes(env: Env) -> set[str]:
    """Every GET route whose answer is a page (`items` and `next_cursor`), from the served schema."""
    schema = env.client.get("/api/v1/openapi.json").json()
    pages = {name for name, c in schema["components"]["schemas"].items()
             if {"items", "next_cursor"} <= set(c.get("properties", {}))}  # fmt: skip
    found = set()
    for path, operations in schema["paths"].items():
        answer = operations.get("get", {}).get("responses", {}).get("200", {})
        ref = answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
        if ref.rsplit("/", 1)[-1] in pages:
            found.add(path)
    return found


LIST_ROUTES = {  # each list route, with its path parameters filled and the key that may see it
    "/api/v1/deployments": "admin",
    "/api/v1/keys": "admin",
    "/api/v1/rules": "admin",
    "/api/v1/provisions": "admin",
    "/api/v1/vocabularies/{kind}": "admin",
    "/api/v1/devices": "admin",
    "/api/v1/webhooks": "admin",
    "/api/v1/webhooks/events": "admin",
    "/api/v1/webhooks/{hook_id}/deliveries": "admin",
    "/api/v1/deployments/{deployment_id}/subjects": "auditor",
    "/api/v1/subjects": "auditor",
    "/api/v1/audit/entries": "auditor",
}


@pytest.fixture(scope="module")
def hook(env: Env) -> str:
    """Two receivers, the first with two deliveries queued: its ID. (The node is made a hub, which lists devices.)"""
    choose_node_kind(env.svc.home, "hub")
    admin, ids = env.auth("admin"), []
    for i in range(2):
        body = {"url": f"https://hooks.example.com/{i}", "events": ["subject.deleted"]}
        ids.append(env.client.post("/api/v1/webhooks", json=body, headers=admin).json()["id"])
    for _ in range(2):
        assert env.client.post(f"/api/v1/webhooks/{ids[0]}/ping", headers=admin).status_code < 300
    return ids[0]


@pytest.mark.parametrize("route", sorted(LIST_ROUTES))
def test_every_list_route_pages_by_cursor_and_shows_each_item_once(env: Env, hook: str, route: str) -> None:
    assert list_routes(env) == set(LIST_ROUTES)  # a new list route is paged, and listed here
    url = route.format(kind="handler_kind", hook_id=hook, deployment_id=OFFICE)
    whole = env.client.get(url, params={"limit": 500}, headers=env.auth(LIST_ROUTES[route])).json()
    assert whole["next_cursor"] is None
    paged = [item for page in all_pages(env, url, LIST_ROUTES[route], 1) for item in page]
    assert paged == whole["items"] and len({json.dumps(i, sort_keys=True) for i in paged}) == len(paged)
    assert len(paged) >= (0 if route == "/api/v1/devices" else 2)  # no device is paired on this node
    assert env.client.get(url, params={"page": 2}, headers=env.auth(LIST_ROUTES[route])).status_code == 422


def test_every_subject_is_listed_with_its_standing_searched_by_prefix_and_scoped_to_the_key(env: Env) -> None:
    env.client.post("/api/v1/subjects", json={"id": "s9"}, headers=env.auth("operator"))  # in no deployment yet
    everyone = [s for page in all_pages(env, "/api/v1/subjects", "auditor", 2) for s in page]
    assert [s["subject"] for s in everyone] == ["s1", "s2", "s3", "s4", "s5", "s9"]
    s1 = everyone[0]["deployments"]
    assert [(d["deployment"], d["consent"], bool(d["templates"])) for d in s1] == [(OFFICE, "given", True)]
    assert "vector" not in json.dumps(everyone) and "embedding" not in json.dumps(everyone)
    assert everyone[4]["deployments"][0]["consent"] == "withdrawn" and everyone[5]["deployments"] == []
    operator = [s["subject"] for page in all_pages(env, "/api/v1/subjects", "operator", 100) for s in page]
    assert operator == ["s1", "s2", "s3", "s4", "s5"]  # only the granted deployments' subjects
    found = env.client.get("/api/v1/subjects", params={"q": "s1", "deployment": OFFICE}, headers=env.auth("admin"))
    assert [s["subject"] for s in found.json()["items"]] == ["s1"]
    assert env.client.get("/api/v1/subjects", params={"deployment": "nowhere"},
                          headers=env.auth("admin")).status_code == 404  # fmt: skip
    assert env.client.get("/api/v1/subjects", params={"q": "no spaces"}, headers=env.auth("admin")).status_code == 422
