"""The process's Prometheus metrics: one registry every part adds its metrics to, exposed at `/metrics`.

Add a metric here, next to the others, with `registry=REGISTRY` and a name starting `facegate_`; count with it where
the thing happens. Labels take bounded values only (a route template, an outcome, a rule ID), never a subject, a
path or a token.

One process serves the API, so its registry holds every figure of that replica; each replica is scraped on its own
(Prometheus adds the `instance` label). Run under a multi-process server instead (several uvicorn or gunicorn
workers) and set `PROMETHEUS_MULTIPROC_DIR` to an empty folder before the processes start: prometheus-client then
keeps each process's values in that folder and `/metrics` sums them.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from facegate import config

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own setting, read by it at import too
CONTENT_TYPE = CONTENT_TYPE_LATEST
REGISTRY = CollectorRegistry(auto_describe=True)
# From 5 ms (a health check) to 10 s (an identification on a loaded machine).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "facegate_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "facegate_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
DECISIONS = Counter(
    "facegate_decisions",
    "Decisions recorded in the audit log, by operation, allow/refuse, outcome and each rule ID behind it "
    "(rule is empty for a decision with no rule; a decision with two rules counts once under each).",
    ["operation", "decision", "outcome", "rule"],
    registry=REGISTRY,
)
LIVENESS_FAILURES = Counter(
    "facegate_liveness_failures",
    "Liveness checks failed, by the check that failed (one failure may count under several reasons).",
    ["reason"],
    registry=REGISTRY,
)
ENGINE_QUEUE = Gauge(
    "facegate_engine_queue_depth",
    "Biometric requests now waiting for or using the face engine in this process.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
WEBHOOK_DELIVERIES = Counter(
    "facegate_webhook_deliveries",
    "Webhook delivery attempts, by event and result (delivered, retry, failed).",
    ["event", "result"],
    registry=REGISTRY,
)
CAMERA = Gauge(
    "facegate_camera",
    "Door cameras as last reported by the process running each (facegate camera run), by camera and figure: running "
    "(1 or 0), frames_searched, frames_skipped, identified, strangers (counted, never stored), reconnects, "
    "status_time (Unix seconds of the last report: a stale one means the camera's process stopped).",
    ["camera", "figure"],
    registry=REGISTRY,
    multiprocess_mode="max",
)

DEVICE_SYNC = Gauge(
    "facegate_device_sync",
    "Paired devices as this hub sees them, by device ID and figure: behind (hub changes the device has not applied "
    "yet, as of its last pull), seconds_since_seen (since its last contact, a pull or an acknowledgement; -1 when "
    "none), pending_shreds (deletions it has not confirmed), online (1 or 0). Read at each scrape on a hub; a device "
    "node has none.",
    ["device", "figure"],
    registry=REGISTRY,
    multiprocess_mode="max",
)


def devices_reported(devices: Iterable[dict[str, Any]], now: datetime) -> None:
    """Set the device sync gauges from the hub's device list (read at each scrape; an unpaired device disappears)."""
    DEVICE_SYNC.clear()
    for d in devices:
        seen = d.get("last_seen_at")
        figures = {
            "behind": d["behind"], "pending_shreds": d["pending_shreds"], "online": int(bool(d["online"])),
            "seconds_since_seen": (now - datetime.fromisoformat(seen)).total_seconds() if seen else -1,
        }  # fmt: skip
        for figure, value in figures.items():
            DEVICE_SYNC.labels(d["id"], figure).set(value)


def cameras_reported(cameras: Iterable[dict[str, Any]]) -> None:
    """Set the camera gauges from the cameras' rows (read at each scrape; a removed camera disappears)."""
    CAMERA.clear()
    for c in cameras:
        at = c.get("status_at")
        figures = {
            "running": int(c["state"] == "running"), "frames_searched": c["frames"], "frames_skipped": c["skipped"],
            "identified": c["identified"], "strangers": c["strangers"], "reconnects": c["reconnects"],
            "status_time": at.timestamp() if at is not None else 0,
        }  # fmt: skip
        for figure, value in figures.items():
            CAMERA.labels(c["name"], figure).set(value)


def exposition() -> bytes:
    """The metrics in Prometheus's text format: this process's, or every worker's in multi-process mode."""
    if config.current().metrics_dir:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client's is unannotated
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def request_answered(method: str, route: str, status: int, seconds: float) -> None:
    """Count one HTTP request under its route template (never the concrete path) and time it."""
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def decisions_recorded(entries: Iterable[Any]) -> None:
    """Count audit events as they are recorded (each has `operation`, `decision`, `outcome`, `rule_ids`)."""
    for entry in entries:
        outcome, _, reasons = entry.outcome.partition(":")  # liveness_failed:movement.colour -> the reasons apart
        for rule in entry.rule_ids or [""]:
            DECISIONS.labels(entry.operation, entry.decision, outcome, rule).inc()
        if outcome == "liveness_failed":
            for reason in reasons.split(".") if reasons else ["unknown"]:
                LIVENESS_FAILURES.labels(reason).inc()


@contextmanager
def engine_queue() -> Iterator[None]:
    """Hold one place in the engine queue gauge while a biometric request waits for or uses the engine."""
    ENGINE_QUEUE.inc()
    try:
        yield
    finally:
        ENGINE_QUEUE.dec()
