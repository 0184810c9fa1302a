"""A pool of engines in worker processes, so a service's concurrent requests use every core.

dlib's detector and landmark model are not safe to share between threads and hold the interpreter while they
run, so one in-process engine serves one request at a time. The pool keeps one engine per worker process and
hands each call to a free one; it fulfils the `Engine` protocol, so the gate uses it as it uses one engine.
A worker that dies (killed, out of memory) breaks the executor: that call and those in flight raise
`EngineUnavailable` (retryable: 503 with Retry-After) and the pool starts fresh workers for the next call.
"""

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from facegate.engine.face import Embedding, Face
from facegate.engine.protocol import Engine
from facegate.errors import EngineUnavailable

if TYPE_CHECKING:
    from facegate.engine.dlib_backend import DlibEngine

T = TypeVar("T")
_engine: "DlibEngine | None" = None


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def follow_parent(parent: int) -> None:
    """The one policy of every engine worker process (this pool's and engine/bulk.py's): exit within a second of
    the process that started it going away (killed, even by SIGKILL), so no engine is left orphaned.

    A watcher thread, not PR_SET_PDEATHSIG: the kernel sends that signal when the *thread* that forked the worker
    ends, and a pool starts its workers from whichever request thread submits first.
    """
    if os.getppid() != parent:  # the parent died before this worker started
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), daemon=True).start()


def _start(options: dict[str, Any], parent: int | None = None) -> None:
    global _engine
    from facegate.engine.dlib_backend import DlibEngine

    if parent is not None:
        follow_parent(parent)
    _engine = DlibEngine(**options)


def _call(fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    return fn(_engine, *args)


def _identity(engine: Engine) -> tuple[str, float]:
    return engine.model_id, engine.threshold


def _detect(engine: Engine, image: np.ndarray, min_face_px: int | None) -> list[Face]:
    return engine.detect(image, min_face_px=min_face_px)


def _embed(engine: Engine, image: np.ndarray, faces: list[Face]) -> list[Embedding]:
    return engine.embed(image, faces)


def _points(engine: Engine, image: np.ndarray, face: Face) -> np.ndarray:
    return engine.points(image, face)


def _chips(engine: Engine, image: np.ndarray, faces: list[Face]) -> np.ndarray:
    return engine.chips(image, faces)


def _embed_chips(engine: Engine, chips: np.ndarray, one_pass: bool) -> list[Embedding]:
    return engine.embed_chips(chips, one_pass)


class EnginePool:
    """`workers` dlib engines in as many processes (default: one per core), each call run by a free one."""

    def __init__(self, workers: int | None = None, **engine_options: Any) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._options = engine_options
        self._lock = threading.Lock()
        self._pool = self._executor()
        # Load the models in every worker now, so the first requests do not wait for them.
        identities = [self._pool.submit(_call, _identity, ()) for _ in range(self.workers)]
        self.model_id, self.threshold = identities[0].result()
        for identity in identities[1:]:
            identity.result()

    def _executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers, mp_context=get_context("spawn"), initializer=_start, initargs=(self._options, os.getpid())
        )

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(engine, *args)` in a worker; `fn` must be a module-level function (it is sent by name)."""
        pool = self._pool
        try:
            return pool.submit(_call, fn, args).result()
        except BrokenProcessPool:
            with self._lock:  # the first caller to see the broken executor replaces it; the others find it new
                if self._pool is pool:
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._executor()
            raise EngineUnavailable("a face engine worker stopped; the workers are restarting: try again") from None

    def detect(self, image: np.ndarray, min_face_px: int | None = None) -> list[Face]:
        """Faces in an RGB image, best first (see DlibEngine.detect)."""
        return self.run(_detect, image, min_face_px)

    def embed(self, image: np.ndarray, faces: list[Face]) -> list[Embedding]:
        """One embedding per face, in the order given."""
        return self.run(_embed, image, faces)

    def points(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The 5 landmarks of a face (see DlibEngine.points)."""
        return self.run(_points, image, face)

    def chips(self, image: np.ndarray, faces: list[Face]) -> np.ndarray:
        """Aligned face chips, one per face (see DlibEngine.chips), for the enrollment quality gate."""
        return self.run(_chips, image, faces)

    def embed_chips(self, chips: np.ndarray, one_pass: bool = False) -> list[Embedding]:
        """One embedding per aligned chip (see DlibEngine.embed_chips)."""
        return self.run(_embed_chips, chips, one_pass)

    def close(self) -> None:
        """Stop the worker processes."""
        self._pool.shutdown(cancel_futures=True)
