"""The liveness challenge through the API: frames synthesised after reading the challenge pass; a still photo, the
colours of another challenge, a swap of people, frames off the timeline or late, and a reused nonce each fail with
their reason; a device that keeps failing must wait; every failure is answered with the alternatives."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from gate_fixtures import example
from liveness_frames import jpeg, pose_frames, sequence
from test_api_fixtures import Env, consenting, make_env, photo

from facegate.engine.liveness import Challenge

KIOSK = "hq-kiosk"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """The app with an unattended kiosk deployment (liveness required by default) and obama enrolled on it."""
    environment = make_env(Path(tmp_path_factory.mktemp("liveness")))
    env = next(environment)
    env.svc.gate.register(example("office-entry", id=KIOSK, camera={"min_face_px": 120}))
    env.keys["kiosk"] = env.keys["operator"] = env.svc.keys.create("operator", env.clock(), "kiosk", [KIOSK])[1]
    consenting(env, "obama", KIOSK)
    enrolled = env.client.post(
        f"/api/v1/deployments/{KIOSK}/subjects/obama/enroll", files=photo("obama.jpg"), headers=env.auth("kiosk")
    )
    assert enrolled.status_code == 201, enrolled.text
    yield env
    next(environment, None)


@pytest.fixture(autouse=True)
def _forget_failures(env: Env) -> Iterator[None]:
    """Each test starts with no recent failures: the clock moves past the longest limit's window after it."""
    yield
    env.clock.advance(hours=1, seconds=1)


def challenge(env: Env, device: str, key: str = "kiosk") -> tuple[str, Challenge]:
    answer = env.client.post(
        f"/api/v1/deployments/{KIOSK}/liveness/challenge", json={"device": device}, headers=env.auth(key)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["nonce"], Challenge(
        tuple(body["turns"]), tuple(c["name"] for c in body["colours"]), body["segment_ms"], body["colour_ms"]
    )


def send(env: Env, nonce: str, frames: list, device: str, subject: str = "obama", key: str = "kiosk"):  # type: ignore[no-untyped-def]
    files = [("frames", (f"{i}.jpg", jpeg(frame), "image/jpeg")) for i, (_, frame) in enumerate(frames)]
    data = {"nonce": nonce, "device": device, "timestamps": str([round(t, 1) for t, _ in frames])}
    return env.client.post(
        f"/api/v1/deployments/{KIOSK}/subjects/{subject}/verify/live", files=files, data=data, headers=env.auth(key)
    )


def test_frames_that_follow_the_challenge_pass_and_match(env: Env) -> None:
    nonce, asked = challenge(env, "pass")
    answer = send(env, nonce, sequence(asked), "pass")
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "match"
    again = send(env, nonce, sequence(asked), "pass")  # a nonce answers once
    assert again.status_code == 403 and again.json()["reasons"] == ["unknown_challenge"]


def test_a_field_sent_twice_is_refused_and_leaves_the_challenge_open(env: Env) -> None:
    nonce, asked = challenge(env, "twice")
    frames = sequence(asked)
    files = [("frames", (f"{i}.jpg", jpeg(frame), "image/jpeg")) for i, (_, frame) in enumerate(frames)]
    data = {"nonce": [nonce, "a-guessed-nonce"], "device": "twice", "timestamps": str([round(t, 1) for t, _ in frames])}
    twice = env.client.post(
        f"/api/v1/deployments/{KIOSK}/subjects/obama/verify/live", files=files, data=data, headers=env.auth("kiosk")
    )
    assert twice.status_code == 422 and twice.json()["detail"].startswith("the form field 'nonce' is sent 2 times")
    assert send(env, nonce, frames, "twice").json()["outcome"] == "match"  # the nonce was not spent


def test_an_answer_from_another_device_or_key_is_refused_and_leaves_the_challenge_to_its_own_device(env: Env) -> None:
    env.keys["other"] = env.svc.keys.create("operator", env.clock(), "other-kiosk", [KIOSK])[1]
    nonce, asked = challenge(env, "owner")
    frames = sequence(asked)
    for device, key in [("thief", "kiosk"), ("owner", "other")]:
        stolen = send(env, nonce, frames, device, key=key)
        assert stolen.status_code == 403 and stolen.json()["reasons"] == ["unknown_challenge"]
    assert send(env, nonce, frames, "owner").json()["outcome"] == "match"


@pytest.mark.parametrize("stamp", ["NaN", "Infinity", "-Infinity"])
def test_a_timestamp_that_is_not_a_finite_number_is_refused_and_the_challenge_stays_open(env: Env, stamp: str) -> None:
    nonce, asked = challenge(env, "nan")
    frames = sequence(asked)
    files = [("frames", (f"{i}.jpg", jpeg(frame), "image/jpeg")) for i, (_, frame) in enumerate(frames)]
    times = "[" + ", ".join([stamp] + [str(round(t, 1)) for t, _ in frames[1:]]) + "]"
    answer = env.client.post(
        f"/api/v1/deployments/{KIOSK}/subjects/obama/verify/live",
        files=files,
        data={"nonce": nonce, "device": "nan", "timestamps": times},
        headers=env.auth("kiosk"),
    )
    assert answer.status_code == 422 and "finite" in answer.json()["detail"]
    assert send(env, nonce, frames, "nan").json()["outcome"] == "match"


@pytest.mark.parametrize(
    ("attack", "reason"),
    [
        ("still", "movement"),
        ("other_colours", "light"),
        ("switch", "different_person"),
        ("off_timeline", "outside_timeline"),
        ("late", "expired"),
    ],
)
def test_a_sequence_that_does_not_answer_fails_with_its_reason(env: Env, attack: str, reason: str) -> None:
    device = f"attack-{attack}"
    nonce, asked = challenge(env, device)
    frames = sequence(asked)
    if attack == "still":
        frames = [(t, frames[0][1]) for t, _ in frames]
    elif attack == "other_colours":
        shifted = asked.colours[1:] + asked.colours[:1]
        frames = sequence(asked, colours_of=Challenge(asked.turns, shifted, asked.segment_ms, asked.colour_ms))
    elif attack == "switch":
        frames = sequence(asked, switch_to=pose_frames("biden"))
    elif attack == "off_timeline":
        frames = sequence(asked, offset_ms=asked.duration_ms)
    elif attack == "late":
        env.clock.advance(minutes=2)
    answer = send(env, nonce, frames, device)
    assert answer.status_code == 403, answer.text
    problem = answer.json()
    assert problem["type"] == "/problems/liveness-failed"
    assert reason in problem["reasons"]
    if attack == "other_colours":
        assert problem["reasons"] == ["light"]  # the movement was right; only the light gives it away
    assert problem["alternatives"] and problem["rule_ids"] == ["CN25-10b"]


def test_a_single_photo_is_refused_where_liveness_is_required(env: Env) -> None:
    answer = env.client.post(
        f"/api/v1/deployments/{KIOSK}/subjects/obama/verify", files=photo("obama.jpg"), headers=env.auth("kiosk")
    )
    assert answer.status_code == 403
    assert "liveness" in answer.json()["detail"] and answer.json()["alternatives"]
    gate = env.svc.gate
    with gate.db.session(readonly=True) as session:
        _, recent = gate.audit.recent(session, 1)
    assert (recent[0]["operation"], recent[0]["subject"], recent[0]["decision"]) == ("verify", "obama", "refuse")


def still_answer(env: Env, device: str, subject: str = "obama", key: str = "kiosk"):  # type: ignore[no-untyped-def]
    nonce, asked = challenge(env, device, key)
    frames = sequence(asked)
    return send(env, nonce, [(t, frames[0][1]) for t, _ in frames], device, subject, key)


def test_an_operator_key_that_keeps_failing_must_wait_whatever_device_it_names(env: Env) -> None:
    env.keys["other"] = env.svc.keys.create("operator", env.clock(), "other-kiosk", [KIOSK])[1]
    for attempt in range(10):  # a new device name each time: the limit is on the key, not the name
        consenting(env, f"nobody-{attempt}", KIOSK)  # and a new person: the subject's own limit is not reached
        assert still_answer(env, f"brute-{attempt}", subject=f"nobody-{attempt}").status_code == 403
    refused = env.client.post(
        f"/api/v1/deployments/{KIOSK}/liveness/challenge", json={"device": "brute-new"}, headers=env.auth("kiosk")
    )
    assert refused.status_code == 403
    assert refused.json()["reasons"] == ["rate_limited"] and 0 < refused.json()["retry_after"] <= 601
    assert refused.json()["alternatives"]
    with env.svc.gate.db.session(readonly=True) as session:
        _, recent = env.svc.gate.audit.recent(session, 5)
    assert [e["outcome"] for e in recent if e["operation"] == "liveness.lockout"] == ["locked:key"]
    challenge(env, "elsewhere", "other")  # another key is not held up
    env.clock.advance(minutes=10, seconds=1)
    challenge(env, "brute-new")


def test_a_subject_that_keeps_failing_must_wait_whichever_key_presents_them(env: Env) -> None:
    env.keys["other"] = env.svc.keys.create("operator", env.clock(), "other-kiosk", [KIOSK])[1]
    for attempt in range(5):
        assert still_answer(env, f"d{attempt}", key="kiosk" if attempt % 2 else "other").status_code == 403
    nonce, asked = challenge(env, "fresh", "other")
    answer = send(env, nonce, sequence(asked), "fresh", "obama", "other")  # even a passing sequence must wait
    assert answer.status_code == 403, answer.text
    assert answer.json()["reasons"] == ["rate_limited"] and 3500 < answer.json()["retry_after"] <= 3601
    gate = env.svc.gate
    with gate.db.session(readonly=True) as session:
        _, recent = gate.audit.recent(session, 10)
    locks = [e for e in recent if e["operation"] == "liveness.lockout" and e["subject"] == "obama"]
    assert [(e["outcome"], e["deployment"], e["decision"]) for e in locks] == [("locked:subject", KIOSK, "refuse")]


def test_failures_are_audited_with_their_reasons(env: Env) -> None:
    nonce, asked = challenge(env, "audited")
    frames = sequence(asked)
    send(env, nonce, [(t, frames[0][1]) for t, _ in frames], "audited")
    gate = env.svc.gate
    with gate.db.session(readonly=True) as session:
        _, recent = gate.audit.recent(session, 3)
    entry = next(e for e in recent if str(e.get("outcome", "")).startswith("liveness_failed:"))  # newest first
    assert "movement" in entry["outcome"] and entry["decision"] == "refuse" and entry["deployment"] == KIOSK


def test_identification_on_an_answered_challenge_finds_the_person(env: Env) -> None:
    gallery = "hq-kiosk-gallery"
    env.svc.gate.register(example("office-entry", id=gallery, modality="identification", camera={"min_face_px": 120}))
    key = env.svc.keys.create("operator", env.clock(), "gallery-kiosk", [gallery])[1]
    headers = {"Authorization": f"Bearer {key}"}
    assert env.client.post("/api/v1/subjects", json={"id": "barack"}, headers=headers).status_code == 201
    base = f"/api/v1/deployments/{gallery}/subjects/barack"
    shown = env.client.post(base + "/notice", headers=headers)
    assert shown.status_code == 200, shown.text
    assert env.client.post(base + "/consents", json={}, headers=headers).status_code == 201
    assert env.client.post(base + "/enroll", files=photo("obama.jpg"), headers=headers).status_code == 201
    asked = env.client.post(f"/api/v1/deployments/{gallery}/liveness/challenge", json={"device": "g"}, headers=headers)
    body = asked.json()
    challenge_ = Challenge(
        tuple(body["turns"]), tuple(c["name"] for c in body["colours"]), body["segment_ms"], body["colour_ms"]
    )
    frames = sequence(challenge_)
    files = [("frames", (f"{i}.jpg", jpeg(frame), "image/jpeg")) for i, (_, frame) in enumerate(frames)]
    data = {"nonce": body["nonce"], "device": "g", "timestamps": str([round(t, 1) for t, _ in frames])}
    answer = env.client.post(f"/api/v1/deployments/{gallery}/identify/live", files=files, data=data, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "identified" and answer.json()["subject"] == "barack"
