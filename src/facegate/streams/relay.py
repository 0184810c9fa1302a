"""The relay output: an HTTP call that opens the door when a face is matched (a door controller's or a GPIO bridge's).

The call carries the camera and the decision's audit event ID, never a subject or anything biometric. It is made
in a thread of its own so a slow controller never holds up the stream; its last result is kept for the status.
The door's other ways in (card, PIN, staff) are the controller's own and stay as they are.
"""

import threading
from typing import Any

import httpx

TIMEOUT_S = 3.0


class Relay:
    """POSTs `{"camera", "event_id"}` to a door controller's URL on each match."""

    def __init__(self, url: str, timeout: float = TIMEOUT_S) -> None:
        self.url, self.timeout = url, timeout
        self.calls = self.failures = 0
        self.last_error: str | None = None

    def open(self, camera: str, event_id: str) -> threading.Thread:
        """Call the door controller now, in the background; the thread (tests may join it)."""
        thread = threading.Thread(target=self._call, args=({"camera": camera, "event_id": event_id},), daemon=True)
        thread.start()
        return thread

    def _call(self, body: dict[str, Any]) -> None:
        self.calls += 1
        try:
            httpx.post(self.url, json=body, timeout=self.timeout).raise_for_status()
            self.last_error = None
        except httpx.HTTPError as exc:
            self.failures += 1
            self.last_error = type(exc).__name__
