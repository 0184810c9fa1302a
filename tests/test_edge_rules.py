"""The pure parts of hub and device: where a deployment may run, and how two nodes' consent standings merge."""

from datetime import UTC, datetime, timedelta

import pytest
from gate_fixtures import example

from facegate.edge import merge
from facegate.placement import Node, misplaced, offline_too_long, wiped

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DEVICE = example("office-entry")
ON_PREMISES = example("office-entry", storage={"location": "on_premises", "transmission_consent": True})


@pytest.mark.parametrize(
    ("kind", "spec", "refused"),
    [("hub", DEVICE, True), ("device", DEVICE, False), ("hub", ON_PREMISES, False), ("device", ON_PREMISES, True)],
)
def test_the_storage_location_and_the_node_kind_must_agree(kind: str, spec, refused: bool) -> None:
    problem = misplaced(Node(kind), spec)
    assert (problem is not None) == refused
    if problem:
        assert "CN25-8a/b" in problem[1]


@pytest.mark.parametrize(
    ("hours_ago", "max_hours", "refused"), [(23, 24, False), (25, 24, True), (2, 1, True), (0.5, 1, False)]
)
def test_a_paired_device_offline_past_its_bound_refuses(hours_ago: float, max_hours: float, refused: bool) -> None:
    spec = example("office-entry", storage={"max_offline_hours": max_hours})
    node = Node("device", "https://hub.example.com", NOW - timedelta(hours=hours_ago))
    problem = offline_too_long(node, spec, NOW)
    assert (problem is not None) == refused
    if problem:
        assert "CN25-6d" in problem[1] and "hub.example.com" in problem[0]


def test_an_unpaired_device_has_no_offline_bound() -> None:
    assert offline_too_long(Node("device"), DEVICE, NOW) is None


@pytest.mark.parametrize(
    ("reason", "said", "way_back"),
    [("unpair", "unpaired by its hub", "it is paired again (facegate device join)"),
     ("lost", "reported lost", "it is paired again (facegate device join)"),
     ("suspend", "suspended with a wipe", "its hub resumes it")],
)  # fmt: skip
def test_a_wiped_device_names_the_way_back_its_wipe_reason_leaves(reason: str, said: str, way_back: str) -> None:
    problem = wiped(Node("device", "https://hub.example.com", NOW, NOW, reason), DEVICE)
    assert problem is not None and "CN25-6d" in problem[1]
    assert f"was {said} " in problem[0] and f"until {way_back};" in problem[0]
    assert ("resumes" in problem[0]) == (reason == "suspend")  # an unpaired or lost device is never resumed


def at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def consent(given: float, withdrawn: float | None = None, kind: str = "facial_processing", version: int = 1) -> dict:
    return {"kind": kind, "form": "separate", "given_by": "subject", "guardian_ref": None, "evidence_ref": None,
            "notice_version": version, "given_at": at(given), "stale_at": None,
            "withdrawn_at": None if withdrawn is None else at(withdrawn)}  # fmt: skip


def standing(*consents: dict, notices: tuple[int, ...] = (1,), declined: float | None = None) -> dict:
    return {
        "notices": list(notices),
        "consents": list(consents),
        "declined_at": None if declined is None else at(declined),
    }


CASES = [
    ("a new consent there is taken here, after the notice", standing(consent(0)), None, ["notice", "consent"]),
    ("the same standing on both sides needs nothing", standing(consent(0)), standing(consent(1)), []),
    ("a withdrawal there after the consent here withdraws", standing(consent(0, 2)), standing(consent(1)),
     ["withdraw"]),
    ("a consent here newer than the withdrawal there stays", standing(consent(0, 2)), standing(consent(3)), []),
    ("a consent there older than a withdrawal here is not taken", standing(consent(0)), standing(consent(-1, 1)), []),
    ("a consent there newer than a withdrawal here is taken", standing(consent(2)), standing(consent(-1, 1)),
     ["consent"]),
    ("withdrawn, then consented again there", standing(consent(0, 1), consent(2)), standing(consent(0)),
     ["withdraw", "consent"]),
    ("a consent on an older notice is not taken", standing(consent(0, version=0), notices=(0, 1)), standing(), []),
    ("a decline there with no later consent is taken", standing(declined=1), standing(), ["decline"]),
    ("a decline lifted by a later consent is not taken", standing(consent(2), declined=1), standing(consent(3)), []),
    ("a decline already standing here is not taken again", standing(declined=1), standing(declined=5), []),
]  # fmt: skip


@pytest.mark.parametrize(("why", "there", "here", "expected"), CASES, ids=[c[0] for c in CASES])
def test_merging_standings(why: str, there: dict, here: dict | None, expected: list[str]) -> None:
    assert [step for step, _ in merge.steps(there, here, notice_version=1)] == expected
