"""The filing package (regulation.md §5.5 `filing_package`; CN25-15c, CN25-FA-2): every statutory item as
Markdown and HTML, the whole as JSON, in one folder, built from the registered deployments and the counts.

What facegate does not hold (the stamped certificates, the legal representative, the agent's ID) is listed
as an attachment to add, never invented.
"""

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy.orm import Session

from facegate import events, policy
from facegate.audit import listing
from facegate.audit.log import connection
from facegate.events import Op
from facegate.oversight import filing_items
from facegate.oversight.filing_items import BUILT_IN_MEASURES, PORTAL, TITLES, filing_due, no_filing_statement
from facegate.oversight.handlers import HandlerView
from facegate.oversight.individuals import current_count
from facegate.oversight.regions import authority_name
from facegate.oversight.report import status_report
from facegate.oversight.tasks import all_tasks
from facegate.oversight.thresholds import filing_duty
from facegate.oversight.workdays import beijing_date
from facegate.policy.document import Bullets, Document, Entry, Paragraph, Section, Table

if TYPE_CHECKING:
    from facegate.oversight.oversight import Oversight

FORMAT = "facegate-filing-package/1"
STATUTORY_ITEMS = (
    "handler_basic_information",
    "processing_purposes_and_methods",
    "stored_individuals_count",
    "security_measures",
    "processing_rules_and_operating_procedures",
    "pia_report",
)
PORTAL_FORMS = {
    "handler_basic_information_form": ["handler_basic_information"],
    "fr_application_filing_form": [
        "processing_purposes_and_methods",
        "stored_individuals_count",
        "security_measures",
        "processing_rules_and_operating_procedures",
    ],
    "pia_report": ["pia_report"],
}
ATTACHMENTS = {
    "unified_social_credit_code_certificate_stamped": "统一社会信用代码证书（加盖公章） / unified social credit code "
    "certificate, stamped with the company seal",
    "legal_representative_or_responsible_person_id": "法定代表人或主要负责人身份证件 / ID of the legal representative "
    "or principal responsible person",
    "filing_agent_id": "经办人身份证件 / ID of the person filing",
    "power_of_attorney_stamped": "授权委托书（加盖公章） / power of attorney, stamped",
    "letter_of_commitment_stamped": "承诺书（加盖公章） / letter of commitment, stamped",
    "other_as_required": "其他所需材料 / other materials the authority asks for",
}
THRESHOLD_KEYS = ("profile", "condition", "applies", "reached", "reached_on")


class PackageGap(TypedDict):
    """Something the package cannot say yet: the item, the field, what is missing, and whether only the handler
    can fill it in."""

    item: str
    field: str
    what: str
    handler_fills: bool


def recorded_attestations(session: Session, deployment_id: str) -> list[dict[str, Any]]:
    """The reviewers' attestations of a deployment recorded in the audit log (regulation.md §4.8), oldest first."""
    found = listing.page(
        connection(session), listing.Filters(operation=Op.DEPLOYMENT_ATTEST, deployment=deployment_id), size=500
    )
    entries = [r for r in map(events.read, reversed(found.entries)) if r.attestation]
    return [{**(r.attestation or {}), "actor": r.actor, "at": r.at} for r in entries]


def _write(doc: Document, folder: Path, stem: str) -> list[str]:
    names = []
    for fmt in ("md", "html"):
        path = folder / f"{stem}.{fmt}"
        path.write_text(doc.render(fmt), encoding="utf-8")
        names.append(path.name)
    return names


def write_package(oversight: "Oversight", session: Session, view: HandlerView, out: Path) -> dict[str, Any]:
    """Write the package of one handler into `out` (created); return its JSON (also written as package.json)."""
    out.mkdir(parents=True, exist_ok=True)
    now = oversight.clock()
    today: date = beijing_date(now)
    report = status_report(oversight, session, [view])["handlers"][0]
    duty = filing_duty((view.profiles or ("cn2025",))[0])
    region = view.region
    authority = authority_name(duty.authority if duty else "provincial", region)
    per_deployment = {d.id: current_count(session, [d.id], now, oversight.devices) for d in view.deployments}
    count = {
        "as_of": today.isoformat(),
        "count_mode": oversight.count_mode,
        "stored_individuals": report["stored_individuals"],
        **report["counts"],
        "per_deployment_currently_stored": per_deployment,
        "thresholds": [{k: t[k] for k in THRESHOLD_KEYS} for t in report["thresholds"]],
    }
    cp = oversight.audit.latest_checkpoint(session)
    checkpoint = {k: v for k, v in cp.to_json().items() if k != "note"} if cp else None
    files: dict[str, list[str]] = {}
    attested = {d.id: recorded_attestations(session, d.id) for d in view.in_use}
    docs = {
        "handler_basic_information": filing_items.handler_document(view, authority, list(view.profiles), today),
        "processing_purposes_and_methods": filing_items.purposes_document(view, today, attested),
        "stored_individuals_count": filing_items.count_document(view, count, per_deployment, today),
        "security_measures": filing_items.security_document(view, checkpoint, today),
        "processing_rules_and_operating_procedures": filing_items.rules_document(view, today),
    }
    gaps: list[PackageGap] = []
    for number, (item, doc) in enumerate(docs.items(), 1):
        files[item] = _write(doc, out, f"{number:02d}-{item.replace('_', '-')}")
        gaps += [{"item": item, "field": g.field, "what": g.what, "handler_fills": g.handler_fills} for g in doc.gaps]
    files["pia_report"] = []
    for d in view.in_use:
        pia = policy.pia_document(
            d.spec, today=today, profiles=d.profiles, settings=oversight.settings, stored=per_deployment.get(d.id),
            verification=oversight.verification,
        )
        files["pia_report"] += _write(pia, out, f"06-pia-report-{d.id}")
        gaps += [
            {"item": "pia_report", "field": f"{d.id}: {g.field}", "what": g.what, "handler_fills": g.handler_fills}
            for g in pia.gaps
        ]
    package = {
        "format": FORMAT,
        "handler": view.name,
        "generated_at": now.isoformat(),
        "as_of": today.isoformat(),
        "rule_ids": ["CN25-15c", "CN25-FA-2"] + (["CN23-T13"] if "cn2023-draft" in view.profiles else []),
        "authority": authority,
        "portal": PORTAL,
        "statutory_items": {item: {"title": TITLES[item], "files": files[item]} for item in STATUTORY_ITEMS},
        "portal_forms": PORTAL_FORMS,
        "attachments": [{"item": k, "description": v, "status": "to attach"} for k, v in ATTACHMENTS.items()],
        "data": {
            "handler_basic_information": {"name": view.name, "contact": view.contact, "region": region},
            "processing_purposes_and_methods": [
                {
                    "deployment": d.id,
                    "name": d.spec.name,
                    "status": d.status,
                    "purpose": d.spec.purpose.model_dump(mode="json"),
                    "modality": d.spec.modality,
                    "capture": d.spec.capture,
                    "location": d.spec.location.model_dump(mode="json"),
                    "legal_basis": d.spec.legal_basis,
                    "alternatives": list(d.spec.alternatives),
                    "storage": d.spec.storage.model_dump(mode="json"),
                    "recipients": [r.model_dump(mode="json") for r in d.spec.recipients],
                }
                for d in view.in_use
            ],
            "stored_individuals_count": count,
            "security_measures": {
                "built_in": BUILT_IN_MEASURES,
                "audit_checkpoint": checkpoint,
                "deployments": {
                    d.id: {
                        "mlps_level": d.spec.security.mlps_level,
                        "device_certification_ref": d.spec.device_certification_ref,
                    }
                    for d in view.in_use
                },
            },
            "processing_rules_and_operating_procedures": {
                d.id: {f.name: f.value for f in policy.notice_fields(d.spec)} for d in view.in_use
            },
            "pia_report": {
                d.id: d.spec.impact_assessment.model_dump(mode="json") if d.spec.impact_assessment else None
                for d in view.in_use
            },
        },
        "tasks": report["open_tasks"],
        "filing_history": [
            {"kind": t.kind, "profile": t.profile, "trigger_on": t.trigger_on.isoformat(), "closed": bool(t.closed_at)}
            for t in all_tasks(session, view.name)
        ],
        "gaps": gaps,
        "filing_due": filing_due(count),
        "attestations": {
            d.id: {"in_spec": [a.model_dump(mode="json") for a in d.spec.attestations], "recorded": attested[d.id]}
            for d in view.in_use
            if d.spec.attestations or attested[d.id]
        },
    }
    (out / "package.json").write_text(json.dumps(package, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    index = Document(
        f"人脸识别技术应用备案材料 / Filing package — {view.name}",
        [
            Entry("生成日期 / Generated", today.isoformat()),
            Entry("备案机关 / Authority", authority),
            Entry("备案系统 / Filing system", PORTAL),
            Entry("待补事项 / Gaps", f"{len(gaps)} 项 / {len(gaps)} to fill" if gaps else "无 / none"),
        ],
        [
            *(
                []
                if filing_due(count)
                else [Section("备案义务 / Filing duty", [Paragraph(no_filing_statement(count))])]
            ),
            Section(
                "法定事项 / Statutory items (regulation.md §5.5)",
                [Table(["Item", "Files"], [[TITLES[i], ", ".join(files[i]) or "—"] for i in STATUTORY_ITEMS])],
            ),
            Section(
                "门户表单 / Portal forms",
                [Table(["Form", "Filled from"], [[f, ", ".join(v)] for f, v in PORTAL_FORMS.items()])],
            ),
            Section("附件 / Attachments to add", [Bullets(list(ATTACHMENTS.values()))]),
            Section(
                f"缺失 / Gaps to fill before filing ({len(gaps)})",
                [Bullets([_gap_line(g) for g in gaps] or ["无 / none"])],
            ),
        ],
    )
    _write(index, out, "00-index")
    return package


def _gap_line(gap: PackageGap) -> str:
    if gap["handler_fills"]:
        return f"{gap['item']}: 待处理者填写 / to be completed by the handler: {gap['field']}"
    return f"{gap['item']}: {gap['field']} {gap['what']}".strip()
