"""Merging another node's consent standing into this one's, as a pure function: the steps, in order.

The other node's standing is what it knows; this node's snapshot is taken before any step. Rules: a withdrawal
there withdraws every consent here given at or before it; a consent there that is current is taken here unless
this node holds a withdrawal made after it (a withdrawal always wins over an older consent); a later decline is
taken; notices shown there are recorded here when they are of the current version.
"""

from datetime import datetime
from typing import Any

KINDS = ("facial_processing", "external_transmission", "raw_image_retention")


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _current(consents: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    found = [c for c in consents if c["kind"] == kind and c["withdrawn_at"] is None and c["stale_at"] is None]
    return found[-1] if found else None


def _last_withdrawal(consents: list[dict[str, Any]]) -> datetime | None:
    times = [_time(c["withdrawn_at"]) for c in consents if c["withdrawn_at"] is not None]
    return max(times) if times else None  # type: ignore[type-var]


def steps(there: dict[str, Any], here: dict[str, Any] | None, notice_version: int) -> list[tuple[str, dict[str, Any]]]:
    """What to do here so that it reflects `there` (one subject, one deployment): (step, arguments) in order.

    Steps: `notice` (record the current notice shown), `withdraw` (withdraw and delete the facial data),
    `consent` (give a consent with the arguments), `decline`.
    """
    here = here or {"notices": [], "consents": [], "declined_at": None}
    out: list[tuple[str, dict[str, Any]]] = []
    if notice_version in there["notices"] and notice_version not in here["notices"]:
        out.append(("notice", {}))
    withdrawn_there = _last_withdrawal(there["consents"])
    withdrawn_here = _last_withdrawal(here["consents"])
    current_here = {kind: _current(here["consents"], kind) for kind in KINDS}
    given_here = [_time(c["given_at"]) for c in current_here.values() if c is not None]
    withdraws = withdrawn_there is not None and any(t is not None and t <= withdrawn_there for t in given_here)
    if withdraws:
        out.append(("withdraw", {}))
    for kind in KINDS:
        theirs = _current(there["consents"], kind)
        if theirs is None or (current_here[kind] is not None and not withdraws):
            continue
        given = _time(theirs["given_at"])
        if withdrawn_here is not None and given is not None and withdrawn_here > given:
            continue  # withdrawn here after it was given there: the withdrawal wins
        if theirs["notice_version"] != notice_version:
            continue  # given on another notice: not a consent to what this node shows now
        args = {k: theirs[k] for k in ("form", "given_by", "guardian_ref", "evidence_ref")}
        out.append(("consent", {"kind": kind, **args}))
    if _declined(there) and not _declined(here):
        out.append(("decline", {}))
    return out


def _declined(standing: dict[str, Any]) -> bool:
    """Whether the subject stands declined: a decline with no consent given after it."""
    declined = _time(standing["declined_at"])
    if declined is None:
        return False
    return all((_time(c["given_at"]) or declined) <= declined for c in standing["consents"])
