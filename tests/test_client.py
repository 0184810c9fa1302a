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
