"""The device side: join a hub with a pairing token, pull the hub's signed state, push the local audit log.

Joining checks the hub's key against the fingerprint the pairing token carries before the token is sent. One
round (`Device.sync`) pulls until the device has applied everything the hub has for it (deployments, the
standing of its subjects, deletions: a withdrawal or deletion at the hub shreds here, through this node's gate),
acknowledges the shreds, then pushes its audit entries with a signed checkpoint and a consistency proof, the
standing recorded locally and the subjects it holds. A pull answered with a wipe order shreds every key of the
device's deployments and acknowledges it; a device out of touch past its offline bound shreds them by itself.
`facegate serve` on a paired device runs a round every few seconds (`--sync-every`, default 5), or, with a broker,
applies the changes a notice carries (`Device.apply_notice`, the same code as a pull's answer) and pulls only on a
gap, at (re)connection and at its slow poll. The link and the request key are read afresh for each round and each
request, so a device paired again while it serves syncs under its new pairing at its next round.
"""

import base64
import contextlib
import ipaddress
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from facegate.audit import Event, SigningKey, sign_checkpoint
from facegate.audit.incremental import spot_check, verify_extension
from facegate.audit.merkle import consistency_proof
from facegate.audit.models import AuditEntry, AuditHead
from facegate.audit.tree import StoredTree
from facegate.changes import Change, ChangeRow
from facegate.edge import device_loop, signing
from facegate.edge.models import HubLinkRow
from facegate.edge.standing import holdings, standings
from facegate.edge.suspension import carry_out
from facegate.edge.sync import apply_deployments, apply_standings, held
from facegate.edge.wipe import HUB_WIPES, past_bound, wipe
from facegate.errors import (
    ConflictError,
    DeviceRefused,
    ForbiddenError,
    HubRefused,
    HubUnreachable,
    InputError,
)
from facegate.events import Op
from facegate.home import node_kind

if TYPE_CHECKING:
    from facegate.edge.notices import Broker
    from facegate.gate import Caller, Gate

CA_ENV = "FACEGATE_HUB_CA"  # a CA bundle for a hub whose certificate a private CA issued
TIMEOUT_SECONDS = 10.0
PUSH_BATCH = 2000
MAX_PULLS = 50  # pulls in one round before pushing anyway
POLL_SECONDS = 3600.0  # the slow poll while change notices arrive (a lost notice is caught up within this)
SPOT_CHECKS = 16  # older entries rehashed at random on each push
PAIRED = ("active", "suspended")  # a device its hub suspended stays paired: it pulls the shreds it owes


def hub_address(url: str) -> str:
    """The hub's base URL: HTTPS, or plain HTTP on a loopback address only (tests and one-machine trials)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise InputError(f"{url!r} is not a hub address such as https://hub.example.com")
    if parts.scheme == "http":
        host = parts.hostname
        loopback = host == "localhost"
        with contextlib.suppress(ValueError):
            loopback = loopback or ipaddress.ip_address(host).is_loopback
        if not loopback:
            raise InputError("a hub is reached over HTTPS; plain HTTP is allowed to a loopback address only")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class Device:
    """The device role of a data directory: its gate, its device key and its link to a hub."""

    def __init__(self, gate: "Gate", home: Path, transport: httpx.BaseTransport | None = None) -> None:
        if node_kind(home) != "device":
            raise InputError(f"{home} is a {node_kind(home)}, not a device")
        self.gate, self.home = gate, home
        self.parts = gate.edge_parts()  # its tables, audit log and writer: not the gate's insides
        self._transport = transport
        # What this process last told the hub it holds, and as which device (a pairing again starts afresh).
        self._sent_holdings: tuple[str, list[tuple[str, str]]] | None = None

    @property
    def key(self) -> SigningKey:
        """This device's request key, read afresh each time (pairing again replaces it); refused when it has none."""
        key = signing.device_key(self.home)
        if key is None:
            raise InputError("this device is not paired with a hub: run facegate device join HUB_URL --token T")
        return key

    def _caller(self, link: HubLinkRow) -> "Caller":
        from facegate.gate import Caller

        return Caller(actor=f"hub:{link.device_id}")

    def link(self) -> HubLinkRow | None:
        """This device's link to its hub, or None when it was never paired."""
        with self.parts.db.session(readonly=True) as session:
            return session.get(HubLinkRow, 1)

    def _client(self, base: str) -> httpx.Client:
        verify: Any = self.parts.config.hub_ca or True
        return httpx.Client(base_url=base, timeout=TIMEOUT_SECONDS, verify=verify, transport=self._transport)

    # ---- pairing ----

    def join(self, hub_url: str, token: str, name: str) -> dict[str, Any]:
        """Pair with the hub: check its key against the token's fingerprint, register this device's keys with the
        token, pin the hub's key, sync once."""
        base = hub_address(hub_url)
        pin = signing.token_fingerprint(token)
        existing = self.link()
        if existing is not None and existing.status in PAIRED and existing.wiped_at is None:
            raise InputError(f"this device is already paired with {existing.hub_url} as {existing.device_id}")
        try:  # discovery first: the token goes only to the hub whose key it names
            with self._client(base) as client:
                hello = client.get("/api/v1/edge/hub")
        except httpx.HTTPError as exc:
            raise HubUnreachable(f"the hub at {base} did not answer ({type(exc).__name__})") from None
        offered = _answer(hello).get("hub_key")
        if not isinstance(offered, str) or signing.fingerprint(offered) != pin:
            raise HubRefused(
                f"the server at {base} does not hold the hub key the pairing token names (fingerprint {pin[:16]}...): "
                "join refused, the token was not sent"
            )
        key = SigningKey.generate()  # kept only once the hub accepts it: a refused join leaves the old pairing's
        body = {
            "token": token,
            "name": name,
            "device_key": key.public.pem(),
            "audit_key": self.parts.audit.key.public.pem(),
        }
        try:
            with self._client(base) as client:
                answer = client.post("/api/v1/edge/join", json=body)
        except httpx.HTTPError as exc:
            raise HubUnreachable(f"the hub at {base} did not answer ({type(exc).__name__})") from None
        data = _answer(answer)
        if data.get("hub_key") != offered:
            raise HubRefused("the hub answered the join with another key than the one the token names")
        hub_key = signing.public_key(offered)
        if not signing.check_answer(
            hub_key, data["device_id"], answer.content, answer.headers.get(signing.HUB_SIGNATURE_HEADER, "")
        ):
            raise HubUnreachable("the hub's answer is not signed by the key it sent")
        signing.keep_device_key(self.home, key)
        now = self.gate.clock()
        with self.parts.db.session() as session:
            link = session.get(HubLinkRow, 1)
            if link is not None:
                session.delete(link)
                session.flush()
            session.add(
                HubLinkRow(
                    id=1, hub_url=base, device_id=data["device_id"], hub_key=data["hub_key"],
                    deployments=",".join(data["deployments"]), paired_at=now, applied=0, last_sync_at=None,
                    pushed_size=0, status="active", wiped_at=None, wipe_reason=None, wipe_acked_at=None,
                )
            )  # fmt: skip
            for deployment_id in data["deployments"]:
                event = Event(
                    actor=f"hub:{data['device_id']}", operation=Op.DEVICE_JOIN, decision="allow", outcome="paired",
                    deployment=deployment_id, request_id=data["device_id"],
                )  # fmt: skip
                self.parts.writer.append(session, event)
        summary = self.sync()
        return {**data, "sync": summary}

    # ---- one round ----

    def _post(self, link: HubLinkRow, path: str, body: dict[str, Any]) -> dict[str, Any]:
        raw = json.dumps(body, separators=(",", ":")).encode()
        headers = signing.sign_request(self.key, link.device_id, "POST", path, raw, self.gate.clock())
        headers["Content-Type"] = "application/json"
        try:
            with self._client(link.hub_url) as client:
                answer = client.post(path, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            raise HubUnreachable(f"the hub at {link.hub_url} did not answer ({type(exc).__name__})") from None
        data = _answer(answer)
        signature = answer.headers.get(signing.HUB_SIGNATURE_HEADER, "")
        if not signing.check_answer(signing.public_key(link.hub_key), link.device_id, answer.content, signature):
            raise HubUnreachable("the answer is not signed by the hub this device was paired with")
        return data

    def enforce_bound(self) -> dict[str, Any] | None:
        """Past a deployment's offline bound without its hub, shred that deployment's keys (once); what was done."""
        link = self.link()
        if link is None or link.status not in PAIRED or link.wiped_at is not None:
            return None
        late = past_bound(self.gate, link, self.gate.clock())
        if not late:
            return None
        return wipe(self.gate, late, "offline", f"hub:{link.device_id}")

    def wiped_deployments(self, link: HubLinkRow) -> list[str]:
        """The deployments the link's wipe shredded the keys of: every one of the pairing for a wipe the hub
        ordered; for the device's own, those whose offline bound had passed at the wipe's time."""
        if link.wiped_at is None:
            return []
        if link.wipe_reason != "offline":
            return [d for d in link.deployments.split(",") if d]
        return past_bound(self.gate, link, link.wiped_at)

    def _acknowledge_wipe(self, link: HubLinkRow, deployments: list[str] | None = None) -> dict[str, Any]:
        """Tell the hub this device shredded its keys; after an unpair or a loss, forget the hub and the request key."""
        assert link.wipe_reason is not None
        body = {"reason": link.wipe_reason, "deployments": deployments or [], "templates_left": 0}
        signed_with = self.key.public.pem()
        answer = self._post(link, "/api/v1/edge/wiped", body)
        now = self.gate.clock()
        final = link.wipe_reason in ("unpair", "lost")
        if link.wipe_reason == "offline":  # back in touch: face recognition works again once re-enrolled
            self._note(link, wiped_at=None, wipe_reason=None, wipe_acked_at=None)
        elif self._note(link, wipe_acked_at=now, **({"status": "unpaired"} if final else {})) and final:
            signing.forget_device_key(self.home, signed_with)  # a key a join made meanwhile is the new pairing's
        self._sent_holdings = None  # the hub dropped what it held
        return {"wipe": link.wipe_reason, "acknowledged": answer.get("acknowledged")}

    def _wiped_summary(self, link: HubLinkRow, done: dict[str, Any]) -> dict[str, Any]:
        return {"applied": link.applied, "steps": 0, "shreds_confirmed": 0, "pushed": 0, "wipe": done}

    def sync(self) -> dict[str, Any]:
        """One round: pull and apply until up to date, acknowledge shreds, push the log; what it did.

        A wipe the hub ordered is carried out and acknowledged instead; past its offline bound the device shreds
        the keys of the deployments concerned first, and tells the hub once it reaches it.
        """
        link = self.link()
        if link is None or link.status not in PAIRED:
            raise InputError("this device is not paired with a hub: run facegate device join HUB_URL --token T")
        if link.wiped_at is not None and link.wipe_reason in HUB_WIPES and link.wipe_acked_at is None:
            return self._wiped_summary(link, self._acknowledge_wipe(link))
        self_wiped = self.enforce_bound()
        link = self.link()
        assert link is not None
        caller = self._caller(link)
        acks: list[dict[str, Any]] = []
        applied, steps, shredded = link.applied, 0, 0
        for _ in range(MAX_PULLS):
            feed = self._post(link, "/api/v1/edge/pull", {"applied": applied, "acks": acks})
            if feed.get("device") != link.device_id or feed.get("since") != min(applied, feed.get("cursor", -1)):
                raise HubUnreachable("the hub's answer is for another device or another cursor")
            if feed.get("wipe"):
                reason = feed["wipe"].get("reason")
                if reason not in HUB_WIPES:
                    raise HubUnreachable("the hub ordered a wipe of an unknown kind")
                done = wipe(self.gate, None, reason, f"hub:{link.device_id}")
                link = self.link()
                assert link is not None
                return self._wiped_summary(link, {**done, **self._acknowledge_wipe(link)})
            if feed.get("suspended"):
                return self._suspended(link, caller, feed)
            if link.status == "suspended":  # resumed: faces work again
                self._note(link, status="active")
                link = self.link()
                assert link is not None
            if link.wiped_at is not None and link.wipe_reason in HUB_WIPES:  # resumed after a suspension's wipe
                self._note(link, wiped_at=None, wipe_reason=None, wipe_acked_at=None)
                link = self.link()
                assert link is not None
            taken, acks = self._apply(caller, feed)
            steps, shredded = steps + taken, shredded + sum(a["templates_left"] == 0 for a in acks)
            applied = feed["cursor"]
            self._note(link, applied=applied, last_sync_at=self.gate.clock(), pushed_size=feed["log_size"])
            if not feed["more"]:
                break
        if acks:  # confirm the last page's shreds now rather than at the next round
            self._post(link, "/api/v1/edge/pull", {"applied": applied, "acks": acks})
        link = self.link()
        if link is not None and link.wipe_reason == "offline":
            self._acknowledge_wipe(link, (self_wiped or {}).get("deployments"))
        pushed = self.push(quiet=True)
        out = {"applied": applied, "steps": steps, "shreds_confirmed": shredded, "pushed": pushed}
        return out | ({"wipe": self_wiped} if self_wiped else {})

    def _suspended(self, link: HubLinkRow, caller: "Caller", feed: dict[str, Any]) -> dict[str, Any]:
        """Suspended by its hub: note it (faces are refused from now on), shred what the hub's orders name and
        acknowledge them; nothing is pushed (the hub refuses a suspended device's pushes)."""
        self._note(link, status="suspended", last_sync_at=self.gate.clock())
        acks = carry_out(self.gate, caller, feed, self._knows)
        if acks:
            self._post(link, "/api/v1/edge/pull", {"applied": link.applied, "acks": acks})
        shredded = sum(a["templates_left"] == 0 for a in acks)
        return {"applied": link.applied, "steps": 0, "shreds_confirmed": shredded, "pushed": 0, "suspended": True}

    def owes_push(self) -> bool:
        """Whether this device should push now: paired and active, and what it holds or the standing recorded
        here changed since this process last told the hub."""
        link = self.link()
        if link is None or link.status != "active" or link.wiped_at is not None:
            return False
        deployments = [d for d in link.deployments.split(",") if d]
        with self.parts.db.session(readonly=True) as session:
            if (link.device_id, holdings(session, deployments)) != self._sent_holdings:
                return True
            local = select(ChangeRow.idx).where(ChangeRow.idx >= link.pushed_size, ~ChangeRow.actor.startswith("hub:"))
            return session.scalar(local.limit(1)) is not None

    def _apply(self, caller: "Caller", feed: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
        """Apply the hub's changes (a pull's answer, or what a notice carried) through this node's gate: the steps
        taken and the acknowledgement of each shred order (with the templates left)."""
        steps = apply_deployments(self.gate, caller, feed["deployments"])
        for subject_id in feed["deleted"]:
            if held(self.gate, None, subject_id) or self._knows(subject_id):
                self.gate.delete_subject(subject_id, caller=caller)
                steps += 1
        steps += apply_standings(self.gate, caller, feed["subjects"])
        acks = [
            {**order, "templates_left": held(self.gate, order["deployment"], order["subject"])}
            for order in feed["shred"]
        ]
        return steps, acks

    def apply_notice(self, feed: dict[str, Any]) -> list[dict[str, Any]]:
        """Apply the changes a notice carried (its hub signature checked by the caller against the pinned key), as
        a pull's; the acknowledgements of its shred orders. A device not active with its hub refuses: it pulls."""
        link = self.link()
        if link is None or link.status != "active" or link.wiped_at is not None:
            raise InputError("this device is not active with its hub: it pulls")
        return self._apply(self._caller(link), feed)[1]

    def _note(self, link: HubLinkRow, **fields: Any) -> bool:
        """Update this device's link row, unless it was paired again since `link` was read; whether it was."""
        with self.parts.db.session() as session:
            row = session.get(HubLinkRow, 1)
            if row is None or (row.device_id, row.paired_at) != (link.device_id, link.paired_at):
                return False
            for name, value in fields.items():
                setattr(row, name, value)
            return True

    def _knows(self, subject_id: str) -> bool:
        from facegate.vault.models import SubjectRow

        with self.parts.db.session(readonly=True) as session:
            return session.get(SubjectRow, subject_id) is not None

    def push(self, quiet: bool = False) -> int:
        """Push the audit entries the hub has not got, with a signed checkpoint and a consistency proof (`quiet`:
        not when there is none and what the device holds has not changed)."""
        try:
            return self._push(quiet)
        except ConflictError:  # the hub holds another length of the log than this device thought: ask, retry once
            link = self.link()
            assert link is not None
            feed = self._post(link, "/api/v1/edge/pull", {"applied": link.applied, "acks": []})
            self._note(link, pushed_size=feed["log_size"])
            return self._push()

    def _push(self, quiet: bool = False) -> int:
        link = self.link()
        assert link is not None
        deployments = [d for d in link.deployments.split(",") if d]
        audit = self.parts.audit
        with self.parts.db.session(readonly=True) as session:
            conn = session.connection()
            head = conn.execute(select(AuditHead.origin, AuditHead.size).where(AuditHead.id == 1)).first()
            if head is None or head.size == 0:
                return 0
            old = link.pushed_size
            size = min(head.size, old + PUSH_BATCH)
            tree = StoredTree(conn, size)
            cp = sign_checkpoint(head.origin, size, tree.subtree(0, size), audit.key)
            proof = consistency_proof(old, size, tree.subtree) if 0 < old < size else []
            rows = conn.execute(
                select(AuditEntry.idx, AuditEntry.payload).where(AuditEntry.idx >= old, AuditEntry.idx < size)
                .order_by(AuditEntry.idx)
            ).all()  # fmt: skip
            problem, checked_root = self._check_log(conn, link, size)
            touched, deleted = set(), set()
            for change in session.scalars(select(ChangeRow).where(ChangeRow.idx >= old, ChangeRow.idx < size)):
                if change.actor.startswith("hub:") or change.subject is None:
                    continue  # what the hub sent is the hub's already
                if change.change in (Change.STANDING, Change.WITHDRAWAL) and change.deployment in deployments:
                    touched.add(change.subject)
                elif change.change is Change.DELETION:
                    deleted.add(change.subject)
            changed = standings(session, deployments, touched)
            held_now = holdings(session, deployments)
        sent = (link.device_id, held_now)
        if quiet and size == old and sent == self._sent_holdings:
            return 0  # nothing new to tell: an idle device's round costs the hub one pull
        body = {
            "from": old,
            "checkpoint": cp.note,
            "entries": [{"idx": idx, "payload": payload} for idx, payload in rows],
            "proof": [base64.b64encode(h).decode() for h in proof],
            "self_check": {"ok": not problem, "problem": problem or None, "checked_from": link.checked_size},
            # What it holds only when that changed since this process last pushed it (and on its first push).
            "holdings": None if sent == self._sent_holdings else [list(pair) for pair in held_now],
            "subjects": [c for c in changed if c["id"] not in deleted],
            "deleted": sorted(deleted),  # deletions made here: the hub deletes or withdraws for this device's purposes
        }
        answer = self._post(link, "/api/v1/edge/push", body)
        self._sent_holdings = sent
        self._note(link, pushed_size=int(answer["log_size"]), checked_size=size, checked_root=checked_root)
        return int(size - old)

    def _check_log(self, conn: Any, link: HubLinkRow, size: int) -> tuple[str, bytes]:
        """This device's check of its own log up to `size`: the problem ('' when none) and the root there.

        Once it has a verified checkpoint, only the entries after it are checked (with a consistency proof) and a
        few older ones at random, so a push costs the same at a million entries as at a thousand; the first push
        after pairing (or an upgrade) verifies the whole log once.
        """
        if 0 < link.checked_size <= size and link.checked_root:
            problem, root = verify_extension(conn, link.checked_size, link.checked_root, size)
            return problem or spot_check(conn, link.checked_size, SPOT_CHECKS), root
        report = self.parts.audit.verify(conn)
        if not report.ok:
            return report.summary(), b""
        return verify_extension(conn, size, StoredTree(conn, size).subtree(0, size) if size else b"", size)


def _answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON of a hub's answer, or the hub's problem as an error of the same kind."""
    try:
        data = response.json()
    except ValueError:
        raise HubUnreachable(f"the hub answered {response.status_code} without JSON") from None
    if response.status_code >= 400:
        detail = data.get("detail") if isinstance(data, dict) else None
        code = data.get("code") if isinstance(data, dict) else None
        if response.status_code == 403 and code in DeviceRefused.REASONS:  # the hub's reason, kept for the caller
            raise DeviceRefused(f"the hub refused: {detail}", str(code))
        if response.status_code == 403:
            raise ForbiddenError(f"the hub refused: {detail}")
        if response.status_code == 409:
            raise ConflictError(f"the hub refused: {detail}")
        raise HubUnreachable(f"the hub answered {response.status_code}: {detail}")
    if not isinstance(data, dict):
        raise HubUnreachable("the hub's answer is not a JSON object")
    return data


async def run_sync(
    gate: "Gate", home: Path, every: float, poll_every: float = POLL_SECONDS, broker: "Broker | None" = None
) -> None:
    """The server's sync loop on a device (facegate.edge.device_loop.run): rounds, notices, and pushes."""
    if node_kind(home) == "device":
        await device_loop.run(Device(gate, home), every, poll_every, broker)
