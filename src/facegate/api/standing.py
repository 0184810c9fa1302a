"""Where a subject stands in a deployment, shared by the API's /me route and the subject portal."""

from typing import Any

from facegate.gate import offers

from .service import Service


def standing(svc: Service, subject: str, deployment: str) -> dict[str, Any]:
    """Where the subject stands in the deployment: consent, facial data held, the alternatives offered."""
    spec = svc.gate.deployment_spec(deployment)
    record = svc.gate.access(subject)
    consents = [c for c in record["consents"] if c["deployment"] == deployment and c["kind"] == "facial_processing"]
    current = [c for c in consents if not c["withdrawn_at"] and not c["stale_at"]]
    held = [d for d in record["facial_data"] if d["deployment"] == deployment]
    passkey = any(m["deployment"] == deployment and m["method"] == "passkey" for m in record["alternatives_set_up"])
    return {
        "subject": subject,
        "deployment": deployment,
        "deployment_name": spec.name,
        "handler": spec.handler.name,
        "notice_version": spec.notice.version,
        "consent": "given" if current else ("withdrawn" if any(c["withdrawn_at"] for c in consents) else "none"),
        "templates": sum(d["templates"] for d in held),
        "alternatives": list(spec.alternatives),
        "passkey": None if not offers(spec, "passkey") else ("set" if passkey else "not_set"),
    }
