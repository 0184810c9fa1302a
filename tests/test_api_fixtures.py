"""Building blocks for the service tests: the app on a fresh data directory, a key per role, the sample specs."""

import socket
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gate_fixtures import Clock, example, shared_engine

from facegate.api.service import Service
from facegate.audit import AuditLog, SigningKey
from facegate.gate import Context, Gate
from facegate.server import create_app
from facegate.store import Database
from facegate.vault.keystore import Keystore
from facegate.vault.vault import Vault

with warnings.catch_warnings():  # starlette's test client warns about its httpx dependency
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

OFFICE = "hq-lobby"
GALLERY = "hq-gallery"
DATA = Path(__file__).parent / "data"


@dataclass
class Env:
    """A running app with its service, clock, and one API key secret per role."""

    client: TestClient
    svc: Service
    clock: Clock
    keys: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        """The Authorization header for `who` (admin, auditor, operator, stranger, metrics)."""
        return {"Authorization": f"Bearer {self.keys[who]}"}


def spec_json(name: str, **changes: object) -> dict:
    """An example spec as JSON data."""
    return example(name, **changes).model_dump(mode="json")


def photo(name: str) -> dict:
    """A sample photo as a multipart file."""
    return {"image": (name, (DATA / name).read_bytes(), "image/jpeg")}


def make_env(folder: Path) -> Iterator[Env]:
    """The app on a fresh SQLite data directory with the office (1:1) and gallery (1:N) deployments registered."""
    folder.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    keystore = Keystore([b"k" * 32], f"sqlite:///{folder / 'keystore.db'}")
    db = Database.open(f"sqlite:///{folder / 'facegate.db'}")
    context = Context(db, Vault(keystore), AuditLog(SigningKey.generate()), clock=clock)
    gate = Gate(context, engine_factory=shared_engine)
    app = create_app(folder, gate=gate, purge_every=None)
    svc: Service = app.state.service
    gate.register(example("office-entry"))
    gate.register(example("office-entry", id=GALLERY, modality="identification"))
    keys = {
        "admin": svc.keys.create("admin", clock(), "admin")[1],
        "auditor": svc.keys.create("auditor", clock(), "auditor")[1],
        "operator": svc.keys.create("operator", clock(), "operator", [OFFICE, GALLERY])[1],
        "stranger": svc.keys.create("operator", clock(), "stranger", [GALLERY])[1],
        "metrics": svc.keys.create("metrics", clock(), "prometheus")[1],
    }
    # Pages answer in English unless a test asks otherwise (the office's handler is in CN-SH, which reads Chinese).
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        yield Env(client, svc, clock, keys)
    db.dispose()
    keystore.engine.dispose()


def consenting(env: Env, subject: str, deployment: str = OFFICE) -> None:
    """A subject added, shown the notice, and consenting, through the API."""
    h = env.auth("operator")
    assert env.client.post("/api/v1/subjects", json={"id": subject}, headers=h).status_code == 201
    base = f"/api/v1/deployments/{deployment}/subjects/{subject}"
    assert env.client.post(base + "/notice", headers=h).status_code == 200
    assert env.client.post(base + "/consents", json={}, headers=h).status_code == 201


@contextmanager
def serving(app: object) -> Iterator[str]:
    """The ASGI app served by uvicorn on a free loopback port in a thread; its base URL until the block ends."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
