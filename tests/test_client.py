"""facegate.client against the real app: the newcomer's path in a few calls, and each problem as its typed error."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_api_fixtures import DATA, GALLERY, OFFICE, Env, make_env

from facegate import client
from facegate.client import Client


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def api(env: Env, who: str, language: str = "en") -> Client:
    return Client("http://testserver", env.keys[who], language=language, http=env.client)


def test_enroll_verify_identify_and_list_through_the_client(env: Env) -> None:
    operator = api(env, "operator")
    operator.add_subject("obama")
    for deployment in (OFFICE, GALLERY):
        operator.notice_shown(deployment, "obama")
        operator.give_consent(deployment, "obama")
        operator.enroll(deployment, "obama", (DATA / "obama.jpg").read_bytes())
    assert operator.verify(OFFICE, "obama", (DATA / "obama2.jpg").read_bytes())["match"] is True
    assert operator.identify(GALLERY, (DATA / "obama2.jpg").read_bytes())["outcome"] in ("match", "identified")
    [listed] = list(operator.enrollments(OFFICE, limit=1))
    assert listed["subject"] == "obama" and len(listed["templates"]) == 1
    entries = list(api(env, "auditor").audit_entries(limit=2, operation="enroll"))
    assert [e["deployment"] for e in entries] == [GALLERY, OFFICE]


def test_each_problem_raises_its_typed_error(env: Env) -> None:
    operator = api(env, "operator", language="zh-CN")
    operator.add_subject("biden")
    operator.notice_shown(OFFICE, "biden")
    with pytest.raises(client.ConsentMissing) as refused:
        operator.enroll(OFFICE, "biden", (DATA / "biden.jpg").read_bytes())
    assert refused.value.status == 403 and refused.value.rule_ids and refused.value.alternatives
    assert isinstance(refused.value, client.Refused) and refused.value.problem["title"] == "当事人未给予单独同意。"
    operator.give_consent(OFFICE, "biden")
    with pytest.raises(client.SeveralFaces):
        operator.enroll(OFFICE, "biden", (DATA / "two_people.jpg").read_bytes())
    with pytest.raises(client.NotAnImage):
        operator.enroll(OFFICE, "biden", b"not a photo")
    with pytest.raises(client.NotFound):
        operator.verify(OFFICE, "nobody", (DATA / "biden.jpg").read_bytes())
    with pytest.raises(client.Forbidden):
        api(env, "auditor").add_subject("x")
    with pytest.raises(client.Unauthorized):
        Client("http://testserver", "fgk_0000000000000000_wrong", http=env.client).add_subject("x")


# The client's name for an operation when it is not the operation ID; the devices' own protocol (signed by device
# keys, not API keys) is facegate.edge's and has no client method.
ALIASES = {"check_spec": "check", "register_deployment": "register", "readyz": "ready", "list_deployments":
           "deployments", "list_keys": "keys", "list_rules": "rules", "list_devices": "devices", "list_enrollments":
           "enrollments", "list_audit_entries": "audit_entries"}  # fmt: skip
DEVICE_PROTOCOL = {"join_hub", "pull_hub_state", "push_device_log", "wiped"}


def test_every_operation_of_the_api_has_a_client_method(env: Env) -> None:
    schema = env.client.get("/api/v1/openapi.json").json()
    operations = {op["operationId"] for ops in schema["paths"].values() for op in ops.values()}
    missing = [o for o in sorted(operations - DEVICE_PROTOCOL) if not callable(getattr(Client, ALIASES.get(o, o), 0))]
    assert missing == []


def test_the_admin_auditor_and_subject_routes_through_the_client(env: Env) -> None:
    admin, auditor, operator = api(env, "admin"), api(env, "auditor"), api(env, "operator")
    operator.add_subject("obama")
    operator.notice_shown(OFFICE, "obama")
    operator.give_consent(OFFICE, "obama")
    assert [s["subject"] for s in auditor.list_subjects(q="ob")] == ["obama"]
    assert operator.subject_access("obama")["subject"] == "obama"
    assert "#" in auditor.get_notice(OFFICE) and auditor.get_deployment(OFFICE)["id"] == OFFICE
    minted = admin.create_key("auditor", "second-auditor")
    assert minted["secret"].startswith("fgk_")
    admin.revoke_key(minted["id"])
    with pytest.raises(client.Unauthorized):
        Client("http://testserver", minted["secret"], http=env.client).verify_audit_log()
    assert auditor.verify_audit_log()["ok"] is True
    day = env.clock().date().isoformat()
    exported = [line["entry"] for line in auditor.export_audit_log(day, day) if line["type"] == "entry"]
    assert exported and {"operation", "event_id"} <= set(exported[-1])
    assert auditor.prove_event(exported[-1]["event_id"])
    hook = admin.create_webhook("https://hooks.example.com/in", ["subject.withdrawn"])
    admin.ping_webhook(hook["id"])
    assert admin.get_webhook(hook["id"])["url"] == "https://hooks.example.com/in"
    assert [d["event"] for d in admin.list_webhook_deliveries(hook["id"])] == ["ping"]
    admin.delete_webhook(hook["id"])
    assert list(admin.list_webhooks()) == []
    assert "facegate_http_requests_total" in admin.metrics() and admin.healthz() == {"status": "ok"}
    token = operator.subject_link(OFFICE, "obama")["token"]
    subject = Client("http://testserver", token, http=env.client)
    assert subject.get_my_standing()["subject"] == "obama"
    subject.my_withdraw()
    assert next(auditor.list_subjects(q="obama"))["deployments"][0]["consent"] == "withdrawn"
