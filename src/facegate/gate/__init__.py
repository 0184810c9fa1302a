"""The gate: the one door for biometric operations. Every call is checked against the rules, then audited.

Order of checks (each refusal cites its rule IDs and names the alternatives): deployment known and active;
purpose registered; operation allowed by the modality; legal basis; current notice shown; consent separate,
current and not withdrawn; guardian consent below 14; the subject has not declined face recognition;
transmission rules; then the engine; then the audit event, committed in the same transaction as the effect.

    gate = Gate.open(home)                 # or Gate(Context(db, vault, audit), engine_factory=...)
    gate.enroll("hq-lobby", "s1", photo, caller=Caller("operator:alice"))

One module per concern: `checks` (pure checks), `decisions` (the only place a decision is recorded),
`deployments`, `subjects`, `biometrics` (the only user of the engine), `alternatives`, `rights`.
"""

from facegate.context import Context, utc_now
from facegate.gate.alternatives import Alternatives
from facegate.gate.biometrics import MAX_IMAGE_BYTES, Biometrics, calibration_points, read_photo
from facegate.gate.checks import ALTERNATIVE_NAMES, offers
from facegate.gate.decisions import Caller, Decision
from facegate.gate.deployments import Deployments
from facegate.gate.rights import Rights
from facegate.gate.subjects import Subjects
from facegate.vault.credentials import RelyingParty


class Gate(Deployments, Subjects, Biometrics, Alternatives, Rights):
    """Composes policy, vault, engine and audit; the only door through which a biometric operation runs."""


__all__ = [
    "ALTERNATIVE_NAMES",
    "MAX_IMAGE_BYTES",
    "Caller",
    "Context",
    "Decision",
    "Gate",
    "RelyingParty",
    "calibration_points",
    "offers",
    "read_photo",
    "utc_now",
]
