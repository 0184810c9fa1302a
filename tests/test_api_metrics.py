"""Operations: /healthz, /readyz (database, key store, engine) open to probes, and /metrics in Prometheus's text
format for a metrics (or admin, auditor) key, with nothing about a person in it."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine
from test_api_fixtures import OFFICE, Env, consenting, make_env, photo

from facegate import metrics
from facegate.audit import Event
from facegate.events import Op

OBAMA = f"/api/v1/deployments/{OFFICE}/subjects/obama"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus exposition by name and labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def test_healthz_and_readyz_need_no_key(env: Env) -> None:
    assert env.client.get("/healthz").json() == {"status": "ok"}
    ready = env.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "keystore": "ok", "engine": "on_first_use"},
    }


def test_readyz_is_503_naming_the_dependency_that_fails(env: Env) -> None:
    keystore = env.svc.gate.context.keystore
    working = keystore.engine
    keystore.engine = create_engine("sqlite:////nonexistent-folder/keystore.db")  # the key store is unreachable
    try:
        answer = env.client.get("/readyz")
    finally:
        keystore.engine = working
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["type"] == "/problems/not-ready" and body["checks"]["keystore"] == "failing"
    assert body["checks"]["database"] == "ok" and "keystore" in body["detail"]
    assert env.client.get("/healthz").status_code == 200  # liveness does not depend on the key store


def test_metrics_count_requests_by_route_and_decisions_by_outcome_and_rule(env: Env) -> None:
    scraper = env.auth("metrics")  # what Prometheus sends: authorization: {credentials: fgk_...}
    before = env.client.get("/metrics", headers=scraper).text
    consenting(env, "obama")
    h = env.auth("operator")
    assert env.client.post(OBAMA + "/enroll", files=photo("obama.jpg"), headers=h).status_code == 201
    assert env.client.post(OBAMA + "/verify", files=photo("obama2.jpg"), headers=h).json()["match"] is True
    refused = env.client.post(OBAMA + "/withdraw", headers=h)
    assert refused.status_code == 200
    again = env.client.post(OBAMA + "/verify", files=photo("obama2.jpg"), headers=h)  # no consent now: refused
    assert again.status_code == 403
    rule = again.json()["rule_ids"][0]
    answer = env.client.get("/metrics", headers=scraper)
    assert answer.headers["content-type"].startswith("text/plain")
    after = answer.text

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route = "/api/v1/deployments/{deployment_id}/subjects/{subject_id}/verify"
    assert grew("facegate_http_requests_total", method="POST", route=route, status="200") == 1
    assert grew("facegate_http_requests_total", method="POST", route=route, status="403") == 1
    assert grew("facegate_http_request_duration_seconds_count", method="POST", route=route) == 2
    assert grew("facegate_decisions_total", operation="verify", decision="allow", outcome="match", rule="") == 1
    assert grew("facegate_decisions_total", operation="verify", decision="refuse", outcome="refused", rule=rule) == 1
    assert grew("facegate_decisions_total", operation="enroll", decision="allow", outcome="enrolled", rule="") == 1
    assert value(after, "facegate_engine_queue_depth") == 0  # every biometric request has left the queue
    assert "obama" not in after and "subject_id}" in after  # route templates, never a subject or a concrete path


# Every label the metrics carry; a label naming a subject, a deployment's member or a score would show up here.
LABELS = {"method", "route", "status", "operation", "decision", "outcome", "rule", "reason", "event", "result",
          "camera", "device", "figure", "le", "quantile"}  # fmt: skip


def test_metrics_need_a_key_allowed_to_read_them_and_hold_nothing_about_a_person(env: Env) -> None:
    assert env.client.get("/metrics").status_code == 401
    refused = env.client.get("/metrics", headers=env.auth("operator"))
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/forbidden"
    consenting(env, "obama")
    h = env.auth("operator")
    assert env.client.post(OBAMA + "/enroll", files=photo("obama.jpg"), headers=h).status_code == 201
    assert env.client.post(OBAMA + "/verify", files=photo("obama2.jpg"), headers=h).status_code == 200
    text = env.client.get("/metrics", headers=env.auth("metrics")).text
    labels = {name for family in text_string_to_metric_families(text) for s in family.samples for name in s.labels}
    assert labels <= LABELS, labels - LABELS
    assert "obama" not in text and OFFICE not in text  # no subject, not even which deployment a decision was in
    # The scraper's key opens nothing else: not the API, not the console.
    assert env.client.get("/api/v1/deployments", headers=env.auth("metrics")).status_code == 403
    login = env.client.post("/console/login", data={"api_key": env.keys["metrics"]}, follow_redirects=False)
    assert login.status_code == 403 and "/metrics only" in login.text


def test_liveness_failures_are_counted_by_reason() -> None:
    before = metrics.LIVENESS_FAILURES.labels("movement")._value.get()
    failed = Event(
        actor="api_key:k1", operation=Op.VERIFY, decision="refuse", outcome="liveness_failed:movement.colour",
        rule_ids=["CN25-10b"],
    )  # fmt: skip
    metrics.decisions_recorded([failed])
    assert metrics.LIVENESS_FAILURES.labels("movement")._value.get() == before + 1
    text = metrics.exposition().decode()
    assert value(text, "facegate_liveness_failures_total", reason="colour") >= 1
    assert value(text, "facegate_decisions_total", operation="verify", decision="refuse",
                 outcome="liveness_failed", rule="CN25-10b") >= 1  # fmt: skip


COUNT_ONE = """
from facegate import metrics
metrics.request_answered("GET", "/api/v1/deployments", 200, 0.01)
"""


def test_worker_processes_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, metrics.MULTIPROCESS_ENV: str(folder)}
    for _ in range(2):  # two workers, each counting one request, then gone
        subprocess.run([sys.executable, "-c", COUNT_ONE], env=env, check=True)
    show = "from facegate import metrics; print(metrics.exposition().decode())"
    text = subprocess.run([sys.executable, "-c", show], env=env, check=True, capture_output=True, text=True).stdout
    labels = {"method": "GET", "route": "/api/v1/deployments", "status": "200"}
    assert value(text, "facegate_http_requests_total", **labels) == 2


def test_a_hub_reports_each_devices_sync_lag(env: Env) -> None:
    from facegate.api.routes.edge import hub_for
    from facegate.audit import SigningKey
    from facegate.home import choose_node_kind

    choose_node_kind(env.svc.home, "hub")
    hub = hub_for(env.client.app, env.svc)
    token = hub.mint_token([OFFICE], "operator:test")
    device = hub.join(token.token, "door-1", SigningKey.generate().public.pem(), SigningKey.generate().public.pem())
    consenting(env, "obama")  # a change on the hub the device has not pulled yet
    env.clock.advance(hours=2)  # and the device silent since it paired
    text = env.client.get("/metrics", headers=env.auth("metrics")).text
    behind = value(text, "facegate_device_sync", device=device["device_id"], figure="behind")
    assert behind >= 1 and behind == hub.devices()[0]["behind"]
    assert value(text, "facegate_device_sync", device=device["device_id"], figure="seconds_since_seen") == 7200
    assert value(text, "facegate_device_sync", device=device["device_id"], figure="online") == 0
    assert "obama" not in text and "door-1" not in text  # the device's ID only, nothing about a person
    labels = {k for family in text_string_to_metric_families(text) for s in family.samples for k in s.labels}
    assert labels <= LABELS, labels - LABELS
