"""Security incidents (a major one reopens the impact assessment, CN25-9d) and reviewers' attestations (§4.8)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from gate_fixtures import example
from test_api_fixtures import OFFICE, Env, make_env

from facegate.errors import InputError, RefusedError
from facegate.gate import Caller, Gate


@pytest.mark.parametrize(
    ("level", "off_device", "reopened"),
    [("minor", False, False), ("moderate", False, False), ("major", False, True), ("critical", False, True),
     ("minor", True, True)],
)  # fmt: skip
def test_a_major_incident_reopens_the_assessment_and_stops_enrollment(
    gate: Gate, level: str, off_device: bool, reopened: bool
) -> None:
    gate.register(example("office-entry"))
    decision = gate.record_incident(OFFICE, level, "A gate controller was stolen", off_device_movement=off_device)
    assert decision.details["reassessment_opened"] is reopened
    status = {d["id"]: d["status"] for d in gate.deployments()}[OFFICE]
    assert status == ("needs_reassessment" if reopened else "active")
    if reopened:
        assert "CN25-9d" in decision.rule_ids
        gate.add_subject("obama")
        gate.notice_shown(OFFICE, "obama")
        with pytest.raises(RefusedError) as refused:
            gate.give_consent(OFFICE, "obama")
            gate.enroll(OFFICE, "obama", b"not reached")
        assert "CN25-9d" in refused.value.rule_ids or "CN25-9a/b" in refused.value.rule_ids


def test_an_incident_needs_a_known_level_and_a_description(gate: Gate) -> None:
    gate.register(example("office-entry"))
    with pytest.raises(InputError):
        gate.record_incident(OFFICE, "catastrophic", "x")
    with pytest.raises(InputError):
        gate.record_incident(OFFICE, "major", "  ")


def test_an_attestation_is_audited_and_refused_to_the_admin_who_registered(gate: Gate) -> None:
    gate.register(example("office-entry"), Caller("api_key:admin1"))
    with pytest.raises(RefusedError):
        gate.attest(OFFICE, "statutory_basis", "A. Admin", "memo", Caller("api_key:admin1"))
    decision = gate.attest(OFFICE, "statutory_basis", "Li Ming (counsel)", "Legal opinion 2026-14",
                           Caller("api_key:dpo1"))  # fmt: skip
    assert decision.details["claim"] == "statutory_basis" and decision.details["reviewer"] == "Li Ming (counsel)"
    with gate.db.session(readonly=True) as session:
        _, [entry, *_] = gate.audit.recent(session, 5)
    assert entry["operation"] == "deployment.attest" and entry["actor"] == "api_key:dpo1"
    assert entry["attestation"] == {"claim": "statutory_basis", "reviewer": "Li Ming (counsel)",
                                    "document": "Legal opinion 2026-14"}  # fmt: skip
    with pytest.raises(InputError):
        gate.attest(OFFICE, "anything_goes", "Li Ming", "memo", Caller("api_key:dpo1"))


def test_whoever_changed_the_spec_cannot_attest_and_a_denying_attestation_is_refused(gate: Gate) -> None:
    gate.register(example("office-entry"), Caller("api_key:admin1"))
    renamed = example("office-entry").model_copy(update={"name": "HQ lobby entry (renamed)"})
    gate.update(renamed, Caller("api_key:admin2"))
    with pytest.raises(RefusedError, match="registered or changed"):
        gate.attest(OFFICE, "statutory_basis", "B. Admin", "Legal opinion 2026-14", Caller("api_key:admin2"))
    with pytest.raises(RefusedError, match="denies the evidence"):
        gate.attest(OFFICE, "public_security_commission", "Li Ming (counsel)",
                    "No written commission exists; the bureau agreed by phone", Caller("api_key:dpo1"))  # fmt: skip
    with gate.db.session(readonly=True) as session:
        _, entries = gate.audit.recent(session, 10)
    assert not [e for e in entries if e["operation"] == "deployment.attest" and e.get("outcome") == "attested"]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from make_env(Path(tmp_path_factory.mktemp("incidents")))


def test_api_incident_needs_an_admin_and_attestation_a_reviewer_key(env: Env) -> None:
    base = f"/api/v1/deployments/{OFFICE}"
    incident = {"level": "minor", "description": "Badge reader cover forced open"}
    assert env.client.post(f"{base}/incidents", json=incident, headers=env.auth("operator")).status_code == 403
    answer = env.client.post(f"{base}/incidents", json=incident, headers=env.auth("admin"))
    assert answer.status_code == 201 and answer.json()["rule_ids"] == ["PIPL-51"]
    reviewer = env.svc.keys.create("reviewer", env.clock(), "dpo")[1]
    attestation = {"claim": "statutory_basis", "reviewer": "Li Ming (counsel)", "document": "Opinion 2026-14"}
    assert env.client.post(f"{base}/attestations", json=attestation, headers=env.auth("admin")).status_code == 403
    answer = env.client.post(f"{base}/attestations", json=attestation, headers={"Authorization": f"Bearer {reviewer}"})
    assert answer.status_code == 201, answer.text
    provisions = env.client.get("/api/v1/provisions").json()["items"]
    assert {"PRC-EEAL-7", "PRC-HOTEL-6"} <= {p["id"] for p in provisions}
    assert env.client.get("/api/v1/vocabularies/location_type").status_code == 200
