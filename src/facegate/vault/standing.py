"""A subject's standing under a deployment, as the gate's checks read it: notices shown, consents, last decline."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple


class Consent(NamedTuple):
    """One consent as the checks read it: its kind, form, who gave it, on which notice, and when it ended."""

    kind: str
    form: str
    given_by: str
    notice_version: int
    given_at: datetime
    withdrawn_at: datetime | None
    stale_at: datetime | None


@dataclass(frozen=True)
class Standing:
    """What the gate needs to know of a subject under a deployment: notices shown, consents, last decline."""

    notice_versions: frozenset[int]
    consents: tuple[Consent, ...]  # newest first
    last_decline: datetime | None

    def current(self, kind: str, prefer: Callable[[Consent], bool] | None = None) -> Consent | None:
        """The newest consent of a kind that is neither withdrawn nor stale; the newest that `prefer`s, if any."""
        live = [c for c in self.consents if c.kind == kind and c.withdrawn_at is None and c.stale_at is None]
        return next((c for c in live if prefer is None or prefer(c)), live[0] if live else None)

    def latest(self, kind: str) -> Consent | None:
        """The newest consent of a kind, whatever its state."""
        return next((c for c in self.consents if c.kind == kind), None)
