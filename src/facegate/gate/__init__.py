"""The gate: the one door for biometric operations. Every call is checked against the rules, then audited.

Order of checks (each refusal cites its rule IDs and names the alternatives): deployment known and active;
purpose registered; operation allowed by the modality; legal basis; current notice shown; consent separate,
current and not withdrawn; guardian consent below 14; the subject has not declined face recognition;
transmission rules; then the engine; then the audit event, committed in the same transaction as the effect.

    gate = Gate.open(home)                 # or Gate(Context(db, vault, audit), engine_factory=...)
    gate.enroll("hq-lobby", "s1", photo, caller=Caller("operator:alice"))

`Gate` (facade) is a thin facade over parts, each with one job: `decisions` (the recorder, the only place a
decision is recorded), `admission` (loading and the checks, with the pure ones in `checks`), `galleries`
(templates in memory), `erasure`, `engines` (the engine host, the only way to the engine), `liveness`; and
the groups of operations built on them: `deployments`, `subjects`, `biometrics`, `alternatives`, `rights`.
"""

from facegate.context import Context, utc_now
from facegate.gate.checks import ALTERNATIVE_NAMES, offers
from facegate.gate.decisions import Caller, Decision
from facegate.gate.engines import MAX_IMAGE_BYTES, MAX_PHOTOS, calibration_points, read_photo, verification_point
from facegate.gate.facade import Gate
from facegate.gate.subjects import Onboarding
from facegate.vault.credentials import RelyingParty
from facegate.vault.vault import SUBJECT_ID_PATTERN

__all__ = [
    "ALTERNATIVE_NAMES",
    "MAX_IMAGE_BYTES",
    "MAX_PHOTOS",
    "SUBJECT_ID_PATTERN",
    "Caller",
    "Context",
    "Decision",
    "Gate",
    "Onboarding",
    "RelyingParty",
    "calibration_points",
    "offers",
    "read_photo",
    "utc_now",
    "verification_point",
]
