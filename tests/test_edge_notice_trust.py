"""What a device does with a change notice, and what oversight does on a hub it cannot see the devices of: a notice
counts only when the hub signed it for that topic, and its changes are applied only without a gap before them; a
hub without device views refuses to count rather than miss them."""

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from facegate.audit import SigningKey
from facegate.edge.notices import Listening, Notice, discreet, make_notice, open_notice
from facegate.errors import FacegateError
from facegate.oversight import devices

TOPIC = "facegate/abc/deployment/hq-lobby"
AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def test_a_notice_counts_only_when_the_hub_signed_it_for_that_topic() -> None:
    hub, stranger = SigningKey.generate(), SigningKey.generate()
    feed = {"deployments": [], "subjects": [], "deleted": [], "shred": [{"order": 41, "subject": "s1"}]}
    notice = make_notice(hub, TOPIC, 42, AT, prev=40, feed=feed)
    opened = open_notice(hub.public, TOPIC, notice)
    assert opened is not None and (opened.cursor, opened.prev, opened.feed) == (42, 40, feed)
    assert open_notice(hub.public, TOPIC + "-other", notice) is None  # replayed onto another topic
    assert open_notice(hub.public, TOPIC, make_notice(stranger, TOPIC, 42, AT, 40, feed)) is None  # not the hub's
    outer = json.loads(notice)
    for field, value in (("cursor", 10**9), ("prev", 0), ("feed", {**feed, "shred": []})):
        altered = json.dumps(json.loads(outer["notice"]) | {field: value})
        assert open_notice(hub.public, TOPIC, json.dumps(outer | {"notice": altered}).encode()) is None
    for junk in (b"", b"not json", b"{}", b'{"notice": "{}", "signature": "!!"}'):
        assert open_notice(hub.public, TOPIC, junk) is None


def notice(topic: str, prev: int | None, cursor: int, carries: bool = True) -> Notice:
    return Notice(topic, cursor, prev, AT.isoformat(), {"shred": []} if carries else None)


def test_a_device_applies_a_notice_only_when_it_has_its_topic_up_to_the_notice_prev() -> None:
    other = "facegate/abc/all"
    state = Listening(applied=30)  # its last pull brought every topic to 30
    assert state.take(notice(TOPIC, 30, 35)) == "apply"  # nothing missing in between
    assert state.take(notice(TOPIC, 35, 38)) == "apply"  # the next one follows the one queued
    assert state.take(notice(TOPIC, 20, 38)) == "skip"  # nothing new (a replay, or a retained one)
    assert [n.cursor for n in state.waiting] == [35, 38] and not state.pull
    assert state.take(notice(other, 25, 40)) == "apply"  # an earlier prev: the device has those changes already
    assert state.take(notice(TOPIC, 39, 45)) == "pull"  # a gap: the changes of 38..39 are not here
    assert state.pull
    state = Listening(applied=30)
    assert state.take(notice(TOPIC, 30, 35, carries=False)) == "pull"  # too large, or a wipe order: pull
    assert state.take(notice(TOPIC, None, 36)) == "pull"
    state.pulled(36)
    assert not state.pull and state.take(notice(TOPIC, 36, 37)) == "apply"
    state.failed()  # applying failed: what the notices brought is forgotten, the device pulls
    assert state.pull and not state.waiting and state.at(TOPIC) == 36


def test_a_standing_with_a_birth_date_or_a_guardian_does_not_cross_the_broker() -> None:
    consent = {"kind": "facial_processing", "given_by": "subject", "guardian_ref": None, "evidence_ref": None}
    plain = {"id": "s1", "birth_date": None, "age_band": "adult", "guardian_ref": None,
             "deployments": {"hq-lobby": {"notices": [1], "consents": [consent], "declined_at": None}}}  # fmt: skip
    assert discreet(plain)
    assert not discreet(plain | {"birth_date": "2012-05-01"})
    assert not discreet(plain | {"guardian_ref": "g-7"})
    by_guardian = {"hq-lobby": {"notices": [1], "consents": [consent | {"guardian_ref": "g-7"}], "declined_at": None}}
    assert not discreet(plain | {"deployments": by_guardian})


def test_oversight_on_a_hub_without_its_device_views_refuses_to_count() -> None:
    with pytest.raises(FacegateError, match="device views are not attached"):
        devices.of(SimpleNamespace(kind="hub", devices=None))
    assert isinstance(devices.of(SimpleNamespace(kind="device", devices=None)), devices.NoDevices)
