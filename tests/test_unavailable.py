"""Retryable errors: the CLI exits 75 (EX_TEMPFAIL) on an unreachable hub, and an engine pool whose worker died
answers `EngineUnavailable` (503 with Retry-After through the API) and starts fresh workers for the next call."""

import os
import signal
import sys
from pathlib import Path

import pytest

from facegate.cli import main
from facegate.engine.pool import EnginePool, _identity
from facegate.errors import EngineUnavailable, HubUnreachable, Unavailable


def test_an_unreachable_hub_exits_75(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    home = str(tmp_path / "device")
    monkeypatch.delenv("FACEGATE_DATABASE_URL", raising=False)
    monkeypatch.setattr(sys, "argv", ["facegate", "init", "--kind", "device", "--home", home])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code in (0, None)
    token = "fgp_t1_secret_" + "0" * 64
    port = 9  # discard: nothing listens on it here
    monkeypatch.setattr(sys, "argv", ["facegate", "device", "join", f"http://127.0.0.1:{port}",
                                      "--token", token, "--home", home])  # fmt: skip
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 75 == HubUnreachable.exit_code
    assert "did not answer" in capsys.readouterr().err


@pytest.mark.slow
def test_a_killed_engine_worker_is_retryable_and_the_pool_restarts() -> None:
    pool = EnginePool(workers=1)
    try:
        model = pool.run(_identity)
        for process in list(pool._pool._processes.values()):  # as the kernel's OOM killer would
            os.kill(process.pid, signal.SIGKILL)
        with pytest.raises(EngineUnavailable) as raised:
            pool.run(_identity)
        assert isinstance(raised.value, Unavailable) and raised.value.status == 503
        assert pool.run(_identity) == model  # fresh workers answer the next call
    finally:
        pool.close()


def test_an_unreachable_hub_through_the_api_is_a_503_with_retry_after() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from facegate.api import problems

    app = FastAPI()
    problems.install(app)

    @app.get("/sync")
    def sync() -> None:
        raise HubUnreachable("the hub at https://hub.example did not answer (ConnectError)")

    answer = TestClient(app).get("/sync")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "30"
    body = answer.json()
    assert body["type"] == "/problems/unavailable" and body["code"] == "hub_unreachable" and body["retry_after"] == 30


def test_every_retryable_error_is_unavailable_not_bad_input() -> None:
    from facegate import errors
    from facegate.errors import DecoderBusyError, InputError

    retryable = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Unavailable)]
    assert {DecoderBusyError, HubUnreachable, EngineUnavailable} <= set(retryable)
    for cls in retryable:
        assert not issubclass(cls, InputError), cls
        assert (cls.status, cls.exit_code, cls.kind) == (503, 75, "unavailable") and cls.retry_after > 0, cls
