"""The demo: a realistic example seeded through the gate, so a fresh clone shows the product working."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from facegate import policy
from facegate.errors import NotFoundError, RefusedError
from facegate.gate import Caller, read_photo

from .service import Service

REPOSITORY = Path(__file__).resolve().parents[3]
EXAMPLES = REPOSITORY / "examples" / "deployments"
PHOTOS = REPOSITORY / "tests" / "data"
ALLOWED, GALLERY, BLOCKED = "office-entry.yaml", "office-gallery.yaml", "hotel-room-door.yaml"
ENROLLED = {"obama": "obama.jpg", "biden": "biden.jpg"}
DEMO_PIN = "493817"
KEYS = {
    "demo-admin": ("admin", []),
    "demo-auditor": ("auditor", []),
    "demo-operator": ("operator", ["hq-lobby", "hq-gallery"]),
}
CALLER = Caller(actor="operator:demo")


@dataclass
class Seeded:
    """What the demo left: the keys it minted (secrets shown once) and a subject's portal link."""

    keys: dict[str, str] = field(default_factory=dict)
    portal_token: str = ""


def seed(svc: Service, say: Callable[[str], None], examples: Path = EXAMPLES, photos: Path = PHOTOS) -> Seeded:
    """Seed the demo (idempotent: what exists is kept, the demo keys are replaced), saying each step."""
    gate, now = svc.gate, svc.clock()
    registered = {d["id"] for d in gate.deployments()}
    allowed = policy.parse_spec((examples / ALLOWED).read_text(encoding="utf-8"))
    gallery = policy.parse_spec((examples / GALLERY).read_text(encoding="utf-8"))
    say(f"handler     {allowed.handler.name}")
    for spec in (allowed, gallery):
        if spec.id in registered:
            say(f"deployment  {spec.id}: already registered")
        else:
            decision = gate.register(spec, CALLER)
            say(f"deployment  {spec.id}: {decision.outcome} ({decision.details['verdict']})")
    blocked = policy.parse_spec((examples / BLOCKED).read_text(encoding="utf-8"))
    try:
        gate.register(blocked, CALLER)
    except RefusedError as exc:
        svc.submissions.save(blocked, (policy.DEFAULT_PROFILE,), CALLER.actor, now)
        say(f"deployment  {blocked.id}: refused [{', '.join(exc.rule_ids)}], kept as a blocked submission")
        for finding in svc.report(blocked, (policy.DEFAULT_PROFILE,)).blocking:
            say(f"            BLOCK {', '.join(finding.cites)} {finding.field}: {finding.message}")
    deployment = allowed.id
    for subject, photo in ENROLLED.items():
        _enroll(svc, deployment, subject, photos / photo, say)
        _enroll(svc, gallery.id, subject, photos / photo, say)
    for subject, photo, expect in (("obama", "obama2.jpg", "match"), ("obama", "biden2.jpg", "no_match")):
        decision = gate.verify(deployment, subject, read_photo(photos / photo), caller=CALLER)
        say(f"verify      {photo} as {subject}: {decision.outcome} (expected {expect})")
    decision = gate.identify(gallery.id, read_photo(photos / "obama2.jpg"), caller=CALLER)
    found = f"{decision.outcome} {decision.subject or ''}".strip()
    say(f"identify    obama2.jpg in {gallery.id}: {found} (expected identified obama)")
    _decliner(svc, deployment, "alex", say)
    seeded = Seeded()
    for name, (role, grants) in KEYS.items():
        svc.keys.delete_named(name)
        _, secret = svc.keys.create(role, now, name, grants, "demo")
        seeded.keys[name] = secret
    seeded.portal_token = svc.make_link("obama", deployment, timedelta(hours=24))
    return seeded


def _enroll(svc: Service, deployment: str, subject: str, photo: Path, say: Callable[[str], None]) -> None:
    gate = svc.gate
    known = {d["deployment"] for d in gate.access(subject)["facial_data"]} if _exists(svc, subject) else None
    if known is None:
        gate.add_subject(subject, caller=CALLER)
    if known and deployment in known:
        say(f"subject     {subject}: already enrolled in {deployment}")
        return
    gate.notice_shown(deployment, subject, caller=CALLER)
    gate.give_consent(deployment, subject, subject_initiated=True, caller=CALLER)
    decision = gate.enroll(deployment, subject, read_photo(photo), caller=CALLER)
    done = f"{decision.outcome} in {deployment} from {photo.name}"
    say(f"subject     {subject}: notice shown, separate consent given, {done}")


def _decliner(svc: Service, deployment: str, subject: str, say: Callable[[str], None]) -> None:
    gate = svc.gate
    if _exists(svc, subject):
        say(f"subject     {subject}: already chose the PIN instead of face recognition")
        return
    gate.add_subject(subject, caller=CALLER)
    gate.notice_shown(deployment, subject, caller=CALLER)
    alternatives = gate.decline(deployment, subject, CALLER).details["alternatives"]
    gate.set_alternative(deployment, subject, "pin", DEMO_PIN, CALLER)
    verified = gate.verify_alternative(deployment, subject, "pin", DEMO_PIN, CALLER).outcome
    say(f"subject     {subject}: declined face recognition (alternatives: {', '.join(alternatives)}); PIN {verified}")


def _exists(svc: Service, subject: str) -> bool:
    try:
        svc.gate.access(subject)
    except NotFoundError:
        return False
    return True
