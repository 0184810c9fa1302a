"""What a device does with a change notice, and what oversight does on a hub it cannot see the devices of: a notice
counts only when the hub signed it for that topic; a hub without device views refuses to count rather than miss them."""

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from facegate.audit import SigningKey
from facegate.edge.notices import make_notice, open_notice
from facegate.errors import FacegateError
from facegate.oversight import devices

TOPIC = "facegate/abc/deployment/hq-lobby"
AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def test_a_notice_counts_only_when_the_hub_signed_it_for_that_topic() -> None:
    hub, stranger = SigningKey.generate(), SigningKey.generate()
    notice = make_notice(hub, TOPIC, 42, AT)
    assert open_notice(hub.public, TOPIC, notice) == 42
    assert open_notice(hub.public, TOPIC + "-other", notice) is None  # replayed onto another topic
    assert open_notice(hub.public, TOPIC, make_notice(stranger, TOPIC, 42, AT)) is None  # not the hub's key
    altered = json.loads(notice) | {"cursor": 10**9}
    assert open_notice(hub.public, TOPIC, json.dumps(altered).encode()) is None  # cursor moved after signing
    for junk in (b"", b"not json", b"{}", b'{"cursor": "x", "at": 1, "signature": "!!"}'):
        assert open_notice(hub.public, TOPIC, junk) is None


def test_oversight_on_a_hub_without_its_device_views_refuses_to_count() -> None:
    with pytest.raises(FacegateError, match="device views are not attached"):
        devices.of(SimpleNamespace(kind="hub", devices=None))
    assert isinstance(devices.of(SimpleNamespace(kind="device", devices=None)), devices.NoDevices)
