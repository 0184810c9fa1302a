"""What load balancers and Prometheus ask: `/healthz` (the process answers), `/readyz` (its dependencies answer),
`/metrics` (Prometheus text format, for a metrics, admin or auditor key). None says anything about a person.

The probes are open (a kubelet or load balancer sends no key and they say only "up" or which dependency is down);
the metrics need a key, as they show the traffic, refusals and rules of every deployment."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from facegate import health, metrics
from facegate.home import node_kind

from .. import problems
from ..auth import MetricsReader, ServiceDep
from ..responses import Health, Readiness
from ..responses import problems as problems_of
from .edge import hub_for

router = APIRouter(tags=["service"])


@router.get("/healthz", response_model=Health, operation_id="healthz")
def healthz() -> dict[str, Any]:
    """Liveness: the process answers (it checks nothing else, so a slow database never restarts it)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    operation_id="readyz",
    responses={503: {**problems_of(422)[422], "description": "A dependency does not answer; `checks` says which"}},
)
def readyz(request: Request, svc: ServiceDep) -> Any:
    """Readiness: the database and the key store answer a query, and the face engine's models are loaded (or load
    on first use); 503 with `checks` when one does not."""
    states = health.checks(svc.gate.context, getattr(request.app.state, "engine_state", "on_first_use"))
    if health.ready(states):
        return {"status": "ready", "checks": states}
    failing = ", ".join(name for name, state in states.items() if state not in health.READY)
    return problems.problem(request, 503, "not-ready", f"not ready: {failing}", checks=states)


@router.get(
    "/metrics",
    response_class=Response,
    operation_id="metrics",
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format 0.0.4"},
        **problems_of(401, 403),
    },
)
def prometheus_metrics(request: Request, svc: ServiceDep, key: MetricsReader) -> Response:
    """The process's metrics in Prometheus's text format, for a metrics, admin or auditor key (docs/service.md)."""
    metrics.cameras_reported(svc.gate.cameras.list())
    if node_kind(svc.home) == "hub":  # each paired device's sync lag, as the hub sees it
        metrics.devices_reported(hub_for(request.app, svc).devices(), svc.clock())
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)

