"""Deployment specs, profiles and rules to findings: pure (no I/O, no clock; the time is passed in)."""

from facegate.errors import TransitionError
from facegate.policy.claims import ATTESTABLE_CLAIMS, CLAIM_RULES
from facegate.policy.document import Document, Gap
from facegate.policy.evaluation import Evaluation, Finding, evaluate
from facegate.policy.facts import public_place
from facegate.policy.lifecycle import (
    Change,
    Staleness,
    Status,
    activate,
    after_change,
    after_incident,
    check_operation,
    filing_changes,
    reassessment_triggers,
    renotification_needed,
    retire,
    stale_consents,
)
from facegate.policy.minors import children_likely, needs_guardian_consent
from facegate.policy.notice import notice_document, notice_fields
from facegate.policy.parsing import parse_spec, spec_from_data
from facegate.policy.pia import pia_document
from facegate.policy.profiles import DEFAULT_PROFILE, Profile, get_profile, profile_names
from facegate.policy.rule import Rule
from facegate.policy.rules import RULES, citation, get_rule, rules_for
from facegate.policy.settings import QUESTIONS, Settings
from facegate.policy.spec import Deployment

__all__ = [
    "ATTESTABLE_CLAIMS",
    "CLAIM_RULES",
    "DEFAULT_PROFILE",
    "QUESTIONS",
    "RULES",
    "Change",
    "Deployment",
    "Document",
    "Evaluation",
    "Finding",
    "Gap",
    "Profile",
    "Rule",
    "Settings",
    "Staleness",
    "Status",
    "TransitionError",
    "activate",
    "after_change",
    "after_incident",
    "check_operation",
    "children_likely",
    "citation",
    "evaluate",
    "filing_changes",
    "get_profile",
    "get_rule",
    "needs_guardian_consent",
    "notice_document",
    "notice_fields",
    "parse_spec",
    "pia_document",
    "profile_names",
    "public_place",
    "reassessment_triggers",
    "renotification_needed",
    "retire",
    "rules_for",
    "spec_from_data",
    "stale_consents",
]
