"""The impact assessment report (regulation.md §5.4): four sections and a risk register, built from a spec."""

from collections.abc import Sequence
from datetime import date

from facegate.policy.claims import claim, made
from facegate.policy.document import Block, Bullets, Document, Entry, Gap, Paragraph, Section, Table, Value
from facegate.policy.evaluation import Report, evaluate
from facegate.policy.profiles import DEFAULT_PROFILE, REASSESSMENT_TRIGGERS, SECURITY_HARMS, get_profile, normalise
from facegate.policy.rules import rules_for
from facegate.policy.runtime import HANDLER_DUTIES, RUNTIME
from facegate.policy.settings import Settings
from facegate.policy.spec import Deployment, Risk, stated
from facegate.policy.vocabulary import humanise, label, labels

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


def _section(spec: Deployment, name: str) -> Value:
    """A section's text, Chinese and English where the spec gives both."""
    return _text(spec.wording(f"impact_assessment.{name}"), f"impact_assessment.{name}", f"section '{SECTIONS[name]}'")


def pia_document(
    spec: Deployment,
    *,
    today: date,
    profiles: Sequence[str] = (DEFAULT_PROFILE,),
    settings: Settings | None = None,
    stored: int | None = None,
) -> Document:
    """The impact assessment report for `spec` as of `today`: what the spec does not say is shown as a gap.

    `stored` is the number of individuals the deployment stores, where the caller counted it (oversight does).
    """
    report = evaluate(spec, profiles, today=today, settings=settings)
    pia = spec.impact_assessment
    meta = [
        Entry("部署 / Deployment", f"{spec.wording('name')} ({spec.id})"),
        Entry(
            "处理者 / Handler",
            (spec.wording("handler.name") or spec.handler.name)
            + (f", {spec.handler.region}" if stated(spec.handler.region) else ""),
        ),
        Entry("评估版本 / Assessment version", str(pia.version) if pia else Gap("impact_assessment", "an assessment")),
        Entry("批准人 / Approved by",
              _text(pia.approved_by if pia else None, "impact_assessment.approved_by", "the approver")),
        Entry(
            "批准日期 / Approved on",
            str(pia.approved_on) if pia and pia.approved_on else Gap("impact_assessment.approved_on", "the date"),
        ),
        Entry("报告日期 / Report generated", str(today)),
        Entry("适用规则 / Profiles applied", ", ".join(report.profiles)),
        Entry("合规结论 / Compliance verdict",
              f"{VERDICTS[report.verdict]} ({len(report.blocking)} blocking findings)"),
    ]  # fmt: skip
    basis = _basis(spec)
    minors = "不预期 / not expected"
    if spec.minors.expected:
        minors = "预期 / expected" + (
            f"; special rules: {spec.minors.rules_ref}" if stated(spec.minors.rules_ref) else ""
        )
    sections = [
        Section("处理概况 / The processing assessed", [_overview(spec)]),
        Section(
            SECTIONS["lawfulness_necessity"],
            [
                Entry("评估 / Assessment", _section(spec, "lawfulness_necessity")),
                Entry("具体目的 / Specific purpose",
                      _text(spec.wording("purpose.description"), "purpose.description", "the purpose")),
                Entry("必要性 / Necessity",
                      _text(spec.wording("purpose.necessity"), "purpose.necessity", "why FR is necessary")),
                Entry("最小影响 / Least impact",
                      _text(spec.wording("purpose.least_impact"), "purpose.least_impact", "the least-impact case")),
                Entry("法律依据 / Legal basis", basis),
                Entry("依据与证明 / Claims and their evidence (regulation.md §4.8)", _claims(spec)),
            ],
        ),
        Section(
            SECTIONS["rights_impact"],
            [
                Entry("评估 / Assessment", _section(spec, "rights_impact")),
                Entry("替代方式 / Alternatives offered", _alternatives(spec)),
                Entry("不满十四周岁 / Under-14s", minors),
            ],
        ),
        Section(
            SECTIONS["security_risks"],
            [
                Entry("评估 / Assessment", _section(spec, "security_risks")),
                Paragraph(
                    "Each harm §5.4 names (leak, tampering, loss, destruction, illegal acquisition, sale and use) has "
                    "a row in the risk register below."
                ),
            ],
        ),
        Section(
            SECTIONS["protection_measures"],
            [
                Entry("评估 / Assessment", _section(spec, "protection_measures")),
                Paragraph("facegate 运行时执行的措施 / Measures facegate enforces at run time (profiles applied):"),
                _runtime_measures(report, settings),
                Paragraph("不由软件执行、由处理者负责 / Not enforced by software; the handler's duty:"),
                Bullets(list(HANDLER_DUTIES)),
            ],
        ),
        *_cross_border(spec),
        Section("风险登记表 / Risk register", [_register(spec, report)]),
        Section("评估结论 / Conclusion", _conclusion(spec, report, stored)),
        Section(
            "保存与重新评估 / Keeping and redoing this assessment",
            [Bullets(_keeping(report))],
        ),
    ]
    return Document(f"个人信息保护影响评估报告 / Impact assessment — {spec.name}", meta, sections)


CONTEXTS = {"production": "生产 / production", "rnd_algorithm_training": "研发与算法训练 / R&D and algorithm training"}
CAPTURES = {"active": "主动采集 / active capture", "passive": "无感采集 / passive capture"}
VERDICTS = {
    "allowed": "允许 / allowed",
    "allowed_with_warnings": "允许，有警告 / allowed with warnings",
    "blocked": "阻止 / blocked",
}


def _basis(spec: Deployment) -> str:
    ref = spec.wording("legal_basis_ref")
    return f"{label(spec.legal_basis, 'both')}" + (f" ({ref})" if ref else "")


def _alternatives(spec: Deployment) -> Value:
    if spec.alternatives:
        return f"{labels(spec.alternatives)} / {labels(spec.alternatives, 'en')}"
    if stated(spec.sole_method_ref):
        sole = "无；依国家规定人脸识别为唯一方式 / none; face is the only method by state provision"
        return f"{sole}: {spec.sole_method_ref}"
    return Gap("alternatives", "a non-biometric alternative")


def _claims(spec: Deployment) -> Value:
    names = made(spec)
    if not names:
        return "无 / none (no claim lifts a duty)"
    return "; ".join(f"{label(n, 'both')}: {claim(spec, n).evidence}" for n in names)


def _cross_border(spec: Deployment) -> list[Section]:
    abroad = [r for r in spec.recipients if r.abroad]
    if not abroad:
        return []
    pia = spec.impact_assessment
    rows: list[list[Value]] = [
        [r.name or "(unnamed)", f"{label(r.country)} / {label(r.country, 'en')}",
         label(r.transfer_mechanism, "both") if r.transfer_mechanism else Gap("recipients[].transfer_mechanism", ""),
         f"{r.individuals:,}" if r.individuals is not None else "未申报 / not declared"]
        for r in abroad
    ]  # fmt: skip
    assessment = _text(pia.cross_border if pia else None, "impact_assessment.cross_border", "the cross-border section")
    return [
        Section(
            "向境外提供 / Providing facial information abroad (PIPL-38, PIPL-39, PIPL-55-4)",
            [
                Entry("评估 / Assessment", assessment),
                Table(["Recipient", "Country or region", "Mechanism", "Individuals since 1 January"], rows),
            ],
        )
    ]


def _data_flow(spec: Deployment) -> str:
    where = label(spec.storage.location, "both")
    steps = [
        f"采集 / capture: {label(spec.location.type, 'both') if spec.location.type else '—'}",
        f"{label(spec.modality, 'both')}",
        f"模板存储于 / templates stored in: {where}",
        label(spec.storage.raw_images, "both"),
    ]
    for r in spec.recipients:
        steps.append(f"提供给 / provided to: {r.name or '(unnamed)'} ({label(r.country, 'both')})")
    return " → ".join(steps)


def _conclusion(spec: Deployment, report: Report, stored: int | None) -> list[Block]:
    pia = spec.impact_assessment
    generated = (
        f"{VERDICTS[report.verdict]}: {len(report.blocking)} blocking finding(s) under {', '.join(report.profiles)}"
    )
    return [
        Entry("评估人 / Assessor", _text(pia.assessor if pia else None, "impact_assessment.assessor", "who assessed")),
        Entry("评估方法 / Method", _text(pia.method if pia else None, "impact_assessment.method", "how it was done")),
        Entry("数据流 / Data flow", _data_flow(spec)),
        Entry(
            "存储人数 / Individuals stored",
            f"{stored:,}"
            if stored is not None
            else "由 facegate oversight status 统计 / counted by facegate oversight status (not in a spec-only report)",
        ),
        Entry("facegate 检查结果 / facegate's check", generated),
        Entry("结论 / Conclusion",
              _text(spec.wording("impact_assessment.conclusion"), "impact_assessment.conclusion", "the conclusion")),
    ]  # fmt: skip


def _overview(spec: Deployment) -> Table:
    storage = spec.storage
    rows: list[list[Value]] = [
        ["目的 / Purpose", f"{label(spec.purpose.category, 'both')}: {spec.wording('purpose.description') or '—'}"],
        ["情境 / Context", CONTEXTS[spec.context]],
        ["方式 / Method", f"{label(spec.modality, 'both')}, {CAPTURES[spec.capture]}"],
        ["地点 / Location", f"{label(spec.location.setting, 'both')}; "
                            f"{label(spec.location.type, 'both') if spec.location.type else '—'}; "
                            f"场所 / premises: {label(spec.premises_type, 'both') if spec.premises_type else '—'}"],
        ["法律依据 / Legal basis", _basis(spec)],
        ["存储 / Storage", f"{label(storage.location, 'both')}; 传输同意 / transmission consent: "
                           f"{'是 / yes' if storage.transmission_consent else '否 / no'}; "
                           f"{label(storage.raw_images, 'both')}"],
        ["保存期限 / Retention", f"{storage.retention_days} 天 / days" if storage.retention_days is not None
         else Gap("storage.retention_days", "the retention period")],
        ["接收方 / Recipients", ", ".join(r.name or "(unnamed)" for r in spec.recipients) or "无 / none"],
        ["比对以外的分析 / Analyses besides matching",
         f"{labels(spec.analyses)} / {labels(spec.analyses, 'en')}" if spec.analyses else "无 / none"],
    ]  # fmt: skip
    return Table(["方面 / Aspect", "部署规格所述 / What the deployment spec says"], rows)


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
                         finding.severity, humanise(finding.message), "—"])  # fmt: skip
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
    items.append(
        "Redo it before processing continues after: "
        f"{', '.join(t.replace('_', ' ') for t in triggers)} (CN25-9d); `facegate incident record` reopens it after "
        "a major security incident."
    )
    return items
