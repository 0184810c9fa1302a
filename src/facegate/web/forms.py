"""The console's deployment form: its fields, and the spec data they add up to."""

from collections.abc import Mapping
from typing import Any

from facegate import policy
from facegate.errors import InputError

PURPOSES = [
    "access_control", "identity_verification", "attendance", "payment", "device_unlock", "account_recovery",
    "public_security", "customer_identification", "exam_proctoring", "marketing", "customer_analytics", "other",
]  # fmt: skip
SETTINGS = ["private_premises", "public_place", "online"]
LEGAL_BASES = ["separate_consent", "written_consent", "statutory", "contract"]
STORAGE = ["device", "on_premises", "cloud"]
RAW_IMAGES = ["discard", "retain_with_consent", "retain_by_law"]
ASSESSMENT = ["lawfulness_necessity", "rights_impact", "security_risks", "protection_measures"]


def _text(form: Mapping[str, Any], name: str) -> str | None:
    value = str(form.get(name) or "").strip()
    return value or None


def _number(form: Mapping[str, Any], name: str) -> int | None:
    value = _text(form, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{name}: not a whole number") from None


def spec_data(form: Mapping[str, Any]) -> dict[str, Any]:
    """The deployment spec the form's fields describe (before validation)."""
    fee, wait = _text(form, "alternatives.fee"), _text(form, "alternatives.wait")
    data: dict[str, Any] = {
        "id": _text(form, "id"),
        "name": _text(form, "name"),
        "handler": {
            "name": _text(form, "handler.name"),
            "contact": _text(form, "handler.contact"),
            "region": _text(form, "handler.region"),
        },
        "purpose": {
            "category": _text(form, "purpose.category"),
            "description": _text(form, "purpose.description"),
            "necessity": _text(form, "purpose.necessity"),
            "least_impact": _text(form, "purpose.least_impact"),
        },
        "modality": _text(form, "modality"),
        "location": {
            "setting": _text(form, "location.setting"),
            "type": _text(form, "location.type"),
            "signage": form.get("location.signage") == "on",
            "collection_area": _text(form, "location.collection_area"),
        },
        "premises_type": _text(form, "premises_type"),
        "legal_basis": _text(form, "legal_basis"),
        "legal_basis_ref": _text(form, "legal_basis_ref"),
        # Each alternative with the fee and wait the form states for them (FG-12: stated, never assumed).
        "alternatives": [
            _drop_none({"method": a.strip(), "fee": fee, "wait": wait})
            for a in str(form.get("alternatives") or "").split(",")
            if a.strip()
        ],
        "storage": {
            "location": _text(form, "storage.location") or "device",
            "raw_images": _text(form, "storage.raw_images") or "discard",
            "retention_days": _number(form, "storage.retention_days"),
        },
        "minors": {"expected": form.get("minors.expected") == "on", "age_floor": _number(form, "minors.age_floor")},
        "notice": {
            "version": _number(form, "notice.version") or 1,
            "accessible": form.get("notice.accessible") == "on",
        },
    }
    assessment = {name: _text(form, f"impact_assessment.{name}") for name in ASSESSMENT}
    approved = {"approved_by": _text(form, "impact_assessment.approved_by"),
                "approved_on": _text(form, "impact_assessment.approved_on")}  # fmt: skip
    if any(assessment.values()) or any(approved.values()):
        data["impact_assessment"] = {**approved, **assessment}
    spec: dict[str, Any] = _drop_none(data)
    return spec


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value


def profiles(form: Mapping[str, Any], chosen: list[str]) -> tuple[str, ...]:
    """The profiles ticked on the form (cn2025 when none)."""
    names = [p for p in chosen if p in policy.profile_names()]
    return tuple(names or [policy.DEFAULT_PROFILE])


def values_of(spec: policy.Deployment) -> dict[str, Any]:
    """The form's field values for an existing spec (to edit and resubmit a blocked one)."""
    data = spec.model_dump(mode="json")
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for inner, v in value.items():
                flat[f"{key}.{inner}"] = v
        else:
            flat[key] = value
    flat["alternatives"] = ", ".join(spec.alternatives)
    terms = [spec.alternative_terms.get(a) for a in spec.alternatives]
    for key in ("fee", "wait"):  # one value for all on the form: shown only when every alternative states the same
        said = {getattr(t, key) if t is not None else None for t in terms}
        flat[f"alternatives.{key}"] = said.pop() if len(said) == 1 else ""
    for name in ("location.signage", "minors.expected", "notice.accessible"):
        flat[name] = "on" if flat.get(name) else ""
    return {k: ("" if v is None else v) for k, v in flat.items()}
