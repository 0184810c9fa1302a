"""Identify on a group photo through the API and facegate.client: every face with its box, each decided on its own
at the gallery's threshold with its own audit entry, a face under the camera's minimum reported with its box, the
largest face alone when asked, and the top-level answer still the single-face shape."""

from collections.abc import Iterator

import pytest
from gate_fixtures import example
from group_photo import group_photo
from test_api_fixtures import DATA, Env, make_env

from facegate import client
from facegate.client import Client

GROUP = "door-gallery"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    for env in make_env(tmp_path_factory.mktemp("identify")):
        camera = {"min_face_px": 120, "attended": True}  # staff at the door: a single photo is allowed
        env.svc.gate.register(example("office-entry", id=GROUP, modality="identification", camera=camera))
        admin = Client("http://testserver", env.keys["admin"], http=env.client)
        key = admin.call("POST", "/api/v1/keys", json={"role": "operator", "deployments": [GROUP]})["secret"]
        operator = Client("http://testserver", key, http=env.client)
        for name in ("obama", "biden"):
            operator.add_subject(name)
            operator.notice_shown(GROUP, name)
            operator.give_consent(GROUP, name)
            operator.enroll(GROUP, name, (DATA / f"{name}.jpg").read_bytes())
        env.keys["door"] = key
        yield env


def near(box: list[int], expected: tuple[int, int, int, int]) -> bool:
    return all(abs(a - b) <= 25 for a, b in zip(box, expected, strict=True))


def test_every_face_of_a_group_photo_is_decided_on_its_own_with_its_box(env: Env) -> None:
    operator = Client("http://testserver", env.keys["door"], http=env.client)
    photo, boxes = group_photo(DATA, [("biden2.jpg", 180), ("kit_harington.jpeg", 100), ("obama2.jpg", 220)])
    answer = operator.identify(GROUP, photo)
    faces = answer["faces"]
    assert [(f["outcome"], f["subject"]) for f in faces] == [
        ("identified", "obama"), ("identified", "biden"), ("face_too_small", None),
    ]  # fmt: skip
    assert near(faces[0]["box"], boxes[2]) and near(faces[1]["box"], boxes[0]) and near(faces[2]["box"], boxes[1])
    # the top level is the largest face's decision, as a single-face identify always answered
    assert (answer["outcome"], answer["subject"], answer["event_id"]) == ("identified", "obama", faces[0]["event_id"])
    assert answer["box"] == faces[0]["box"] and answer["match"] is True and answer["gallery_size"] == 2
    assert faces[2]["event_id"] is None and faces[2]["match"] is None  # not searched: no decision about anyone
    # each searched face has its own audit entry, citing its rules; none carries a box or a distance
    auditor = Client("http://testserver", env.keys["auditor"], http=env.client)
    entries = {e["event_id"]: e for e in auditor.audit_entries(operation="identify", deployment=GROUP)}
    for face in faces[:2]:
        entry = entries[face["event_id"]]
        assert entry["subject"] == face["subject"] and entry["decision"] == "allow"
        assert "box" not in entry and not [v for v in entry.values() if isinstance(v, float)]

    largest = operator.identify(GROUP, photo, faces="largest")
    assert [(f["subject"], f["outcome"]) for f in largest["faces"]] == [("obama", "identified")]
    assert largest["event_id"] not in entries

    # one subject's standing changes: only that face's decision follows it
    operator.withdraw(GROUP, "biden")
    after = operator.identify(GROUP, photo)["faces"]
    assert [(f["outcome"], f["subject"]) for f in after] == [
        ("identified", "obama"), ("no_match", None), ("face_too_small", None),
    ]  # fmt: skip


def test_a_photo_whose_every_face_is_under_the_minimum_is_refused_and_unknown_modes_are_invalid(env: Env) -> None:
    operator = Client("http://testserver", env.keys["door"], http=env.client)
    with pytest.raises(client.InvalidInput) as small:
        operator.identify(GROUP, (DATA / "obama_small.jpg").read_bytes())  # a 104 px face; the camera's minimum 120
    assert small.value.code == "face_too_small" and "120 px" in small.value.detail
    with pytest.raises(client.InvalidInput):
        operator.identify(GROUP, (DATA / "obama2.jpg").read_bytes(), faces="every")
