"""The application: FastAPI with the API's routes, the web console and portal, and the purge schedule."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from starlette.formparsers import MultiPartParser

import facegate
from facegate import webhooks as outbox
from facegate.edge import notices
from facegate.edge.device import POLL_SECONDS, run_sync
from facegate.gate import MAX_IMAGE_BYTES, Gate
from facegate.home import data_home

from . import docs, problems
from .auth import any_key
from .middleware import RequestMiddleware
from .responses import Health
from .responses import problems as problems_of
from .routes import (
    audit,
    biometrics,
    collections,
    deployments,
    documents,
    edge,
    keys,
    liveness,
    me,
    probes,
    rules,
    subjects,
    webhooks,
)
from .schedule import DEFAULT_INTERVAL, run_checkpoints, run_schedule
from .service import Service
from .strict import known_query, plain_text

# Uploads stay in memory: the multipart parser would otherwise spool a photo over 1 MiB to a temporary file.
MultiPartParser.spool_max_size = MAX_IMAGE_BYTES + 1

DESCRIPTION = """Face recognition that only runs when the rules allow it, and can prove it.

Authenticate with `Authorization: Bearer <key>`: an API key (`fgk_...`; roles admin, operator, auditor, reviewer,
metrics) or, for `/api/v1/me`, a subject's signed link token (`fgs....`). Every error is `application/problem+json`
(RFC 9457); a refusal carries the `rule_ids` behind it and the `alternatives` the subject may use instead.
"""


def openapi(app: FastAPI, generate: Callable[[FastAPI], dict[str, Any]]) -> dict[str, Any]:
    """The OpenAPI schema, with every error answer under the media type it is sent as: application/problem+json."""
    if app.openapi_schema is None:
        schema = docs.readable(generate(app))
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    if status[0] in "45" and "application/json" in content:
                        answer["content"] = {problems.MEDIA_TYPE: content.pop("application/json"), **content}
        app.openapi_schema = schema
    return app.openapi_schema


def create_api(
    home: Path | None = None,
    gate: Gate | None = None,
    purge_every: float | None = DEFAULT_INTERVAL,
    warm_engine: bool = False,
    sync_every: float | None = None,
    poll_every: float = POLL_SECONDS,
    engine_workers: int = 1,
    webhooks_every: float | None = None,
) -> FastAPI:
    """The API alone for a data directory (or around `gate`; facegate.server adds the web face); `purge_every=None`
    turns the schedule off (the purge, the oversight refresh and the signing of due checkpoints).

    `warm_engine` loads the face models in the background at start, so the first enrollment does not wait.
    `sync_every` (seconds) runs a paired device's sync with its hub (`facegate serve` passes 5 by default); with a
    broker (FACEGATE_BROKER_URL) a device syncs at each change notice and polls every `poll_every` seconds, and a hub
    publishes the notices.
    `engine_workers` > 1 runs the face engine in that many worker processes, so concurrent requests use every core.
    `webhooks_every` (seconds) turns new events into webhook deliveries and sends the due ones (`facegate serve`: 2).
    """
    if gate is None and engine_workers > 1:
        gate = Gate.open(data_home(home), engine_workers=engine_workers)
    service = Service.open(data_home(home), gate)

    async def warm(app: FastAPI) -> None:
        app.state.engine_state = "loading"  # /readyz says "not ready" until the models are loaded
        try:
            await asyncio.to_thread(lambda: service.gate.engine)
        except Exception:
            app.state.engine_state = "failing"
            raise
        app.state.engine_state = "ok"

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(run_schedule(service.gate, purge_every)) if purge_every else None
        signing = asyncio.create_task(run_checkpoints(service.gate)) if purge_every else None
        warming = asyncio.create_task(warm(app)) if warm_engine else None
        config = service.gate.context.config
        broker = notices.Broker.from_url(config.broker_url, config.hub_ca) if config.broker_url else None
        syncing = (
            asyncio.create_task(run_sync(service.gate, service.home, sync_every, poll_every, broker))
            if sync_every
            else None
        )
        publishing = None
        if broker is not None and service.gate.context.kind == "hub":
            publishing = asyncio.create_task(notices.run_hub(edge.hub_for(app, service), broker))
        sending = asyncio.create_task(outbox.run(service.webhooks, webhooks_every)) if webhooks_every else None
        yield
        if sending is not None:
            sending.cancel()
        await notices.stop(syncing)
        await notices.stop(publishing)
        if warming is not None:
            warming.cancel()
            await asyncio.gather(warming, return_exceptions=True)
        service.gate.stop_engine()  # its worker processes, before the interpreter's exit finds them running
        for running in (task, signing):
            if running is not None:
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running

    app = FastAPI(
        title="facegate",
        version=getattr(facegate, "__version__", "0.1.0"),
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # FastAPI's own pages load their assets from a CDN: facegate serves them (api/docs.py)
        redoc_url=None,
        openapi_tags=docs.TAGS,
        generate_unique_id_function=docs.operation_id,
    )
    app.state.service = service
    app.state.engine_state = "loading" if warm_engine else "on_first_use"
    problems.install(app)
    strict = [Depends(known_query), Depends(plain_text)]
    keyed = [Depends(any_key), *strict]  # a request without a valid key gets 401 before anything about its input
    for module in (deployments, documents, subjects, biometrics, collections, liveness, audit, keys, webhooks):
        app.include_router(module.router, responses=problems_of(401, 403, 404, 409, 413, 422), dependencies=keyed)
    for module in (me, edge):  # a subject link's or a device's own authentication
        app.include_router(module.router, responses=problems_of(401, 403, 404, 409, 413, 422), dependencies=strict)
    app.include_router(rules.router, responses=problems_of(404, 422), dependencies=strict)
    app.include_router(probes.router)
    app.include_router(docs.router)
    app.openapi = lambda: openapi(app, FastAPI.openapi)  # type: ignore[method-assign]

    @app.get("/api/v1/health", tags=["service"], response_model=Health)
    def health() -> dict[str, Any]:
        """Whether the service answers (no authentication)."""
        return {"status": "ok"}

    app.add_middleware(RequestMiddleware)
    return app
