"""The profiles (cn2025, cn2023-draft, bipa, eu-ai-act) and the lists of regulation.md §5 and §6, as data."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from facegate.errors import InputError

DEFAULT_PROFILE = "cn2025"

# regulation.md §5.1; CN25-13a, CN23-T02.
LOCATION_GROUPS: dict[str, tuple[str, ...]] = {
    "named": ("hotel_room", "public_bathroom_bathhouse", "public_changing_room", "public_toilet"),
    "catch_all": ("other_private_space",),
    "extras_default": ("guest_room_lodging", "fitting_room", "nursing_room", "dormitory_room", "staff_rest_room"),
    "extras_conservative": ("hospital_ward_or_treatment_room", "entertainment_private_room"),
}

# Everyday words for the blocklisted location types; the spec's free-text `location.type` is matched on these.
LOCATION_ALIASES: dict[str, str] = {
    "hotel_guest_room": "hotel_room",
    "guest_room": "guest_room_lodging",
    "bnb_room": "guest_room_lodging",
    "homestay_room": "guest_room_lodging",
    "private_dining_room": "guest_room_lodging",
    "public_bathroom": "public_bathroom_bathhouse",
    "bathhouse": "public_bathroom_bathhouse",
    "bathroom": "public_bathroom_bathhouse",
    "sauna": "public_bathroom_bathhouse",
    "shower_room": "public_bathroom_bathhouse",
    "changing_room": "public_changing_room",
    "locker_room": "public_changing_room",
    "toilet": "public_toilet",
    "restroom": "public_toilet",
    "washroom": "public_toilet",
    "lavatory": "public_toilet",
    "fitting_room": "fitting_room",
    "lactation_room": "nursing_room",
    "mother_and_baby_room": "nursing_room",
    "dormitory": "dormitory_room",
    "dorm_room": "dormitory_room",
    "student_dormitory_room": "dormitory_room",
    "staff_lounge": "staff_rest_room",
    "break_room": "staff_rest_room",
    "hospital_ward": "hospital_ward_or_treatment_room",
    "treatment_room": "hospital_ward_or_treatment_room",
    "consulting_room": "hospital_ward_or_treatment_room",
    "ktv_room": "entertainment_private_room",
    "karaoke_room": "entertainment_private_room",
    "private_room": "other_private_space",
}

# regulation.md §5.2.
INFERENCE_LISTS: dict[str, tuple[str, ...]] = {
    "cn_draft_art11": ("race", "ethnicity", "religion", "health", "social_class", "other_sensitive_pi"),
    "gbt41819_2021_draft": ("work_performance", "economic_status", "health", "preferences", "interests"),
    "eu_art5_1g": ("race", "political_opinion", "trade_union", "religion", "sex_life_orientation"),
    "eu_art5_1f": ("emotion_workplace", "emotion_education"),
    "engine_default_denylist": (
        "race", "ethnicity", "religion", "health", "social_class", "political_opinion",
        "trade_union", "sex_life_orientation", "emotion_workplace", "emotion_education",
    ),
}  # fmt: skip
INFERENCE_EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "cn": ("national_security", "public_security", "emergency_life_health_property", "separate_consent"),
    "eu_art5_1f": ("medical", "safety"),
}

NOTICE_REQUIRED_FIELDS: tuple[str, ...] = (
    "handler_name", "handler_contact", "purposes", "methods", "retention_period", "necessity",
    "rights_impact", "rights_exercise_procedure", "pi_categories", "retention_expiry_handling",
    "other_legal_matters",
)  # fmt: skip
NOTICE_CONDITIONAL_FIELDS: tuple[str, ...] = (
    "retention_determination_method", "recipients", "minors_special_rules_ref",
)  # fmt: skip
BIPA_NOTICE_FIELDS: tuple[str, ...] = (
    "biometric_collection_statement", "specific_purpose", "length_of_term", "public_retention_schedule",
)  # fmt: skip
NOTICE_RIGHTS: tuple[str, ...] = (
    "access", "copy", "port", "correct", "supplement", "delete", "restrict", "close_account", "withdraw_consent",
)  # fmt: skip

PIA_REQUIRED_SECTIONS: tuple[str, ...] = (
    "purpose_method_lawful_proper_necessary",
    "rights_impact_and_mitigation_effectiveness",
    "security_risks_and_harm",
    "protection_measures_lawful_effective_proportionate",
)
SECURITY_HARMS: tuple[str, ...] = (
    "leak", "tamper", "loss", "destruction", "illegal_acquisition", "illegal_sale", "illegal_use",
)  # fmt: skip

REASSESSMENT_TRIGGERS: dict[str, tuple[str, ...]] = {
    "pia_legal": ("purpose_change", "method_change", "major_security_incident"),
    "pia_engine_as_method_change": (
        "modality_change", "storage_location_change", "recipients_change", "rnd_to_production",
    ),
    "consent_staleness": ("purpose_change", "method_change", "data_type_change"),
    "filing_change": (
        "purpose_change", "method_change", "stored_count_band_change", "security_measures_change",
        "rules_or_procedures_change", "pia_new_version",
    ),
}  # fmt: skip

# Premises named by CN23-T05 ("etc." read conservatively to include malls and entertainment venues, as SPC21-2 does).
BUSINESS_PREMISES: tuple[str, ...] = (
    "hotel", "bank", "station", "airport", "sports_venue", "exhibition_hall", "museum", "art_gallery",
    "library", "shopping_mall", "entertainment_venue",
)  # fmt: skip
# Premises where children are likely (regulation.md §8 Q15: unknown age is treated as under 14).
CHILD_PREMISES: tuple[str, ...] = (
    "school", "kindergarten", "primary_school", "middle_school", "childcare_centre", "playground", "youth_centre",
)  # fmt: skip
WORKPLACE_PREMISES: tuple[str, ...] = (
    "workplace", "office", "factory", "warehouse", "call_centre", "construction_site",
)  # fmt: skip
EDUCATION_PREMISES: tuple[str, ...] = (*CHILD_PREMISES, "university", "training_centre", "exam_centre")

# regulation.md §6, one mapping per profile; `inherits` copies the parent's numbers before overriding them.
PROFILE_DATA: dict[str, dict[str, Any]] = {
    "cn2025": {
        "title": "PRC Measures for the Security Management of FR Technology Applications (2025)",
        "binding": "law",
        "effective_date": date(2025, 6, 1),
        "filing": {
            "threshold_individuals": 100000, "operator": ">=", "count_mode": "cumulative",
            "public_place_trigger": False, "deadline_working_days": 30, "change_deadline_working_days": 30,
            "cancel_deadline_working_days": 30, "authority": "provincial", "legacy_deadline": date(2025, 7, 14),
            "early_warning_levels": [80000, 95000], "on_overdue": "block_new_enrollment",
        },
        # Civil Code Art. 201 (CC-201; §8 Q2): a period counted in days starts on the day after the trigger.
        "calendar": {"working_days": "prc_state_council", "include_trigger_day": False, "fallback": "calendar_days"},
        "pia": {"before_processing": True, "record_retention_years_min": 3, "operator": ">="},
        "minors": {
            "guardian_consent_age_below": 14, "operator": "<", "guardian_consent_forms": ["separate"],
            "boundary": "adult_rule_from_day_after_14th_birthday", "unknown_age_child_likely": "treat_as_minor",
        },
        "storage": {
            "default_location": "device_only", "egress_requires_one_of": ["separate_consent", "legal_basis_ref"],
            "retention": "shortest_necessary", "raw_image_discard": True,
        },
        "inference_denylist": ["engine_default_denylist"],
        "reprompt_block_hours": 48,
        "location_blocklist": ["named", "catch_all", "extras_default"],
    },
    "cn2023-draft": {
        "title": "CAC draft Provisions on FR Technology Applications (2023, not adopted; conservative option)",
        "binding": "draft",
        "inherits": "cn2025",
        "published": date(2023, 8, 8),
        "comments_closed": date(2023, 9, 7),
        "filing": {
            "threshold_individuals": 10000, "operator": ">", "public_place_trigger": True,
            "deadline_working_days": 30, "authority": "municipal",
        },
        "pia": {"report_retention_years_min": 3},
        "minors": {"guardian_consent_age_below": 14, "guardian_consent_forms": ["separate", "written"]},
        "location_blocklist": ["named", "catch_all", "extras_default", "extras_conservative"],
        "location_device_scope": "all_capture_devices",
        "inference_denylist": ["cn_draft_art11", "gbt41819_2021_draft", "engine_default_denylist"],
        "manual_review_required": ["social_assistance", "real_estate_disposal"],
        "remote_passive_id_requires": ["legal_basis", "time_window", "geofence", "target_cap"],
        "realtime_purpose_prompt": True,
        "device_certification_required": True,
    },
    "bipa": {
        "title": "Illinois Biometric Information Privacy Act (740 ILCS 14)",
        "binding": "comparator",
        "consent_form": "written_release",
        "destroy_within_years_of_last_interaction": 3,
        "sale_or_profit": "prohibited",
        "damages_usd": {"negligent": 1000, "intentional_or_reckless": 5000},
    },
    "eu-ai-act": {
        "title": "EU AI Act Article 5 (Regulation (EU) 2024/1689) with GDPR Articles 4(14) and 9",
        "binding": "comparator",
        "art5_apply_from": date(2025, 2, 2),
        "rbi_exception_offence_max_sentence_years": {"value": 4, "operator": ">="},
        "max_fine_art5": {"eur": 35000000, "turnover_pct": 7},
        "gdpr": {
            "child_consent_age_default": 16, "child_consent_age_min": 13,
            "max_fine": {"eur": 20000000, "turnover_pct": 4},
        },
    },
}  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """One profile: its name and its numbers (regulation.md §6), with the parent's numbers merged in."""

    name: str
    numbers: dict[str, Any] = field(hash=False, compare=False)

    @property
    def title(self) -> str:
        """The instrument the profile stands for."""
        return str(self.numbers.get("title", self.name))

    @property
    def effective_date(self) -> date | None:
        """The day the profile's rules apply from, where it has one."""
        return self.numbers.get("effective_date") or self.numbers.get("art5_apply_from")

    @property
    def location_blocklist(self) -> tuple[str, ...]:
        """Every prohibited location type of this profile's blocklist groups."""
        return location_types(self.numbers.get("location_blocklist", ()))

    @property
    def inference_denylist(self) -> tuple[str, ...]:
        """Every prohibited inference of this profile's deny-lists."""
        return inference_types(self.numbers.get("inference_denylist", ()))


def location_types(groups: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The location types of the named §5.1 groups, in order, without repeats."""
    return tuple(dict.fromkeys(t for g in groups for t in LOCATION_GROUPS[g]))


def inference_types(lists: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The inferences of the named §5.2 lists, in order, without repeats."""
    return tuple(dict.fromkeys(t for name in lists for t in INFERENCE_LISTS[name]))


def _merged(name: str) -> dict[str, Any]:
    data = PROFILE_DATA[name]
    parent = data.get("inherits")
    if parent is None:
        return dict(data)
    merged = _merged(parent)
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def profile_names() -> list[str]:
    """The names of every profile, default first."""
    return list(PROFILE_DATA)


def get_profile(name: str) -> Profile:
    """The profile called `name`; an unknown name is an input error that lists the known ones."""
    if name not in PROFILE_DATA:
        raise InputError(f"unknown profile {name!r}: use one of {', '.join(PROFILE_DATA)}")
    return Profile(name, _merged(name))


def lineage(name: str) -> tuple[str, ...]:
    """The profile and every profile it inherits from, nearest first."""
    names = [name]
    while (parent := PROFILE_DATA[names[-1]].get("inherits")) is not None:
        names.append(parent)
    return tuple(names)


def normalise(word: str) -> str:
    """A free-text name as a lower-case snake_case token (e.g. 'Hotel room' -> 'hotel_room')."""
    return "_".join(word.strip().lower().replace("-", " ").replace("/", " ").split())


def location_type(text: str) -> str:
    """The §5.1 name of a free-text location type (e.g. 'Public bathhouse' -> public_bathroom_bathhouse).

    The text matches a listed type or alias as a whole or as its last words ('staff changing room' is a
    changing room); otherwise the normalised text comes back unchanged.
    """
    token = normalise(text)
    known = {t: t for group in LOCATION_GROUPS.values() for t in group} | LOCATION_ALIASES
    words = token.split("_")
    for start in range(len(words)):
        tail = "_".join(words[start:])
        if tail in known:
            return known[tail]
    return token
