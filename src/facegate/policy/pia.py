"""The impact assessment report (regulation.md §5.4): four sections and a risk register, built from a spec."""

from collections.abc import Sequence
from datetime import date

from facegate.policy.document import Bullets, Document, Entry, Gap, Paragraph, Section, Table, Value
from facegate.policy.evaluation import Report, evaluate
from facegate.policy.profiles import DEFAULT_PROFILE, REASSESSMENT_TRIGGERS, SECURITY_HARMS, get_profile, normalise
from facegate.policy.rules import rules_for
from facegate.policy.runtime import HANDLER_DUTIES, RUNTIME
from facegate.policy.settings import Settings
from facegate.policy.spec import Deployment, ImpactAssessment, Risk, stated

SECTIONS = {
    "lawfulness_necessity": "一、处理目的、处理方式是否合法、正当、必要 / "
    "1. Are the purpose and method lawful, proper and necessary?",
    "rights_impact": "二、对个人权益的影响及减损措施的有效性 / "
    "2. Impact on individuals' rights, and how well it is mitigated",
    "security_risks": "三、可能产生的安全风险及危害 / 3. Security risks and possible harm",
    "protection_measures": "四、保护措施是否合法、有效并与风险程度相适应 / "
    "4. Are the protection measures lawful, effective and proportionate?",
}
HARM_LABELS = {
    "leak": "leak (泄露)",
    "tamper": "tampering (篡改)",
    "loss": "loss (丢失)",
    "destruction": "destruction (毁损)",
    "illegal_acquisition": "illegal acquisition (非法获取)",
    "illegal_sale": "illegal sale (非法出售)",
    "illegal_use": "illegal use (非法利用)",
}


def _text(value: str | None, field: str, what: str) -> Value:
    return value if stated(value) else Gap(field, what)


def _section(pia: ImpactAssessment | None, name: str) -> Value:
    return _text(getattr(pia, name) if pia else None, f"impact_assessment.{name}", f"section '{SECTIONS[name]}'")


def pia_document(
    spec: Deployment,
    *,
    today: date,
    profiles: Sequence[str] = (DEFAULT_PROFILE,),
    settings: Settings | None = None,
) -> Document:
    """The impact assessment report for `spec` as of `today`: what the spec does not say is shown as a gap."""
    report = evaluate(spec, profiles, today=today, settings=settings)
    pia = spec.impact_assessment
    meta = [
        Entry("Deployment", f"{spec.name} ({spec.id})"),
        Entry("Handler", spec.handler.name + (f", {spec.handler.region}" if stated(spec.handler.region) else "")),
        Entry("Assessment version", str(pia.version) if pia else Gap("impact_assessment", "an impact assessment")),
        Entry("Approved by", _text(pia.approved_by if pia else None, "impact_assessment.approved_by", "the approver")),
        Entry(
            "Approved on",
            str(pia.approved_on) if pia and pia.approved_on else Gap("impact_assessment.approved_on", "the date"),
        ),
        Entry("Report generated", str(today)),
        Entry("Profiles applied", ", ".join(report.profiles)),
        Entry("Compliance verdict", f"{report.verdict} ({len(report.blocking)} blocking findings)"),
    ]
    basis = spec.legal_basis + (f" ({spec.legal_basis_ref})" if stated(spec.legal_basis_ref) else "")
    minors = "not expected"
    if spec.minors.expected:
        minors = "expected" + (f"; special rules: {spec.minors.rules_ref}" if stated(spec.minors.rules_ref) else "")
    purpose = spec.purpose
    sections = [
        Section("处理概况 / The processing assessed", [_overview(spec)]),
        Section(
            SECTIONS["lawfulness_necessity"],
            [
                Entry("Assessment", _section(pia, "lawfulness_necessity")),
                Entry("Specific purpose", _text(purpose.description, "purpose.description", "the purpose")),
                Entry("Necessity", _text(purpose.necessity, "purpose.necessity", "why FR is necessary")),
                Entry("Least impact", _text(purpose.least_impact, "purpose.least_impact", "the least-impact case")),
                Entry("Legal basis", basis),
            ],
        ),
        Section(
            SECTIONS["rights_impact"],
            [
                Entry("Assessment", _section(pia, "rights_impact")),
                Entry("Alternatives offered", ", ".join(spec.alternatives) or _sole(spec)),
                Entry("Under-14s", minors),
            ],
        ),
        Section(
            SECTIONS["security_risks"],
            [
                Entry("Assessment", _section(pia, "security_risks")),
                Paragraph(
                    "Each harm §5.4 names (leak, tampering, loss, destruction, illegal acquisition, sale and use) has "
                    "a row in the risk register below."
                ),
            ],
        ),
        Section(
            SECTIONS["protection_measures"],
            [
                Entry("Assessment", _section(pia, "protection_measures")),
                Paragraph("Measures facegate enforces at run time for the rules of the profiles applied:"),
                _runtime_measures(report, settings),
                Paragraph("不由软件执行、由处理者负责 / Not enforced by software; the handler's duty:"),
                Bullets(list(HANDLER_DUTIES)),
            ],
        ),
        Section("风险登记表 / Risk register", [_register(spec, report)]),
        Section(
            "保存与重新评估 / Keeping and redoing this assessment",
            [Bullets(_keeping(report))],
        ),
    ]
    return Document(f"个人信息保护影响评估报告 / Impact assessment — {spec.name}", meta, sections)


def _sole(spec: Deployment) -> Value:
    if stated(spec.sole_method_ref):
        return f"none; face is the only method by state provision: {spec.sole_method_ref}"
    return Gap("alternatives", "a non-biometric alternative")


def _overview(spec: Deployment) -> Table:
    storage = spec.storage
    rows: list[list[Value]] = [
        ["Purpose", f"{spec.purpose.category}: {spec.purpose.description or '—'}"],
        ["Context", spec.context],
        ["Method", f"{spec.modality} ({'1:1' if spec.modality == 'verification' else '1:N'}), {spec.capture} capture"],
        ["Location", f"{spec.location.setting}, {spec.location.type or '—'}; premises: {spec.premises_type or '—'}"],
        ["Legal basis", spec.legal_basis + (f" ({spec.legal_basis_ref})" if stated(spec.legal_basis_ref) else "")],
        ["Storage", f"{storage.location}; transmission consent: {'yes' if storage.transmission_consent else 'no'}; "
                    f"raw images: {storage.raw_images}"],
        ["Retention", f"{storage.retention_days} days" if storage.retention_days is not None
         else Gap("storage.retention_days", "the retention period")],
        ["Recipients", ", ".join(r.name or "(unnamed)" for r in spec.recipients) or "none"],
        ["Analyses besides matching", ", ".join(spec.analyses) or "none"],
    ]  # fmt: skip
    return Table(["Aspect", "What the deployment spec says"], rows)


def _runtime_measures(report: Report, settings: Settings | None) -> Bullets:
    applied = {rule.id for rule in rules_for(report.profiles, settings)}
    return Bullets([f"{rule_id} — {what}" for rule_id, what in RUNTIME.items() if rule_id in applied])


def _register(spec: Deployment, report: Report) -> Table:
    rows: list[list[Value]] = []
    pia = spec.impact_assessment
    risks = list(pia.risks) if pia else []
    by_harm = {normalise(r.harm): r for r in risks}
    for harm in SECURITY_HARMS:
        risk = by_harm.get(harm)
        if risk is None:
            gap = Gap("impact_assessment.risks", f"likelihood, severity and mitigation of {harm}")
            rows.append([f"R{len(rows) + 1}", HARM_LABELS[harm], "§5.4 harm", "—", "—", gap, "—"])
        else:
            rows.append(_risk_row(len(rows) + 1, HARM_LABELS[harm], "assessment", risk))
    for risk in risks:
        if normalise(risk.harm) not in SECURITY_HARMS:
            rows.append(_risk_row(len(rows) + 1, risk.harm, "assessment", risk))
    for finding in report.findings:
        if finding.severity != "INFO":
            where = finding.field or "deployment"
            rows.append([f"R{len(rows) + 1}", f"{', '.join(finding.cites)} at {where}", "facegate check", "—",
                         finding.severity, finding.message, "—"])  # fmt: skip
    return Table(["No.", "Risk", "Source", "Likelihood", "Severity", "Mitigation or action", "Owner"], rows)


def _risk_row(number: int, label: str, source: str, risk: Risk) -> list[Value]:
    mitigation: Value = risk.mitigation or Gap("impact_assessment.risks", f"mitigation of {risk.harm}")
    return [f"R{number}", label, source, risk.likelihood or "—", risk.severity or "—", mitigation, risk.owner or "—"]


def _keeping(report: Report) -> list[Value]:
    years = max(
        (get_profile(p).numbers.get("pia", {}).get("record_retention_years_min", 0) for p in report.profiles),
        default=0,
    )
    items: list[Value] = []
    if years:
        items.append(f"Keep this report and the processing records for at least {years} years (CN25-9c, PIPL-55/56).")
    triggers = (*REASSESSMENT_TRIGGERS["pia_legal"], *REASSESSMENT_TRIGGERS["pia_engine_as_method_change"])
    items.append(f"Redo it before processing continues after: {', '.join(triggers)} (CN25-9d).")
    return items
