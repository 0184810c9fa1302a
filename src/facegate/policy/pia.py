"""The impact assessment report (regulation.md §5.4): four sections and a risk register, built from a spec."""

from collections.abc import Sequence
from datetime import date

from facegate.policy.accuracy import VerificationPoint, verification_text
from facegate.policy.answers import stated
from facegate.policy.claims import claim, made
from facegate.policy.document import Block, Bullets, Document, Entry, Gap, Paragraph, Section, Table, Value
from facegate.policy.evaluation import Evaluation, evaluate
from facegate.policy.language import chinese_spec, for_spec
from facegate.policy.notice import retention_words
from facegate.policy.profiles import DEFAULT_PROFILE, REASSESSMENT_TRIGGERS, SECURITY_HARMS, get_profile, normalise
from facegate.policy.rules import rules_for
from facegate.policy.runtime import HANDLER_DUTIES, HANDLER_DUTIES_ZH, RUNTIME, RUNTIME_ZH, applies_here
from facegate.policy.settings import Settings
from facegate.policy.spec import Deployment, Risk
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
TRIGGERS_ZH = {
    "purpose_change": "处理目的变更", "method_change": "处理方式变更", "major_security_incident": "发生重大安全事件",
    "modality_change": "比对方式（1:1 或 1:N）变更", "storage_location_change": "存储位置变更",
    "recipients_change": "接收方变更", "rnd_to_production": "由研发转为生产使用",
}  # fmt: skip
HARM_LABELS = {
    "leak": "泄露 / leak",
    "tamper": "篡改 / tampering",
    "loss": "丢失 / loss",
    "destruction": "毁损 / destruction",
    "illegal_acquisition": "非法获取 / illegal acquisition",
    "illegal_sale": "非法出售 / illegal sale",
    "illegal_use": "非法利用 / illegal use",
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
    verification: VerificationPoint | None = None,
    chinese: bool | None = None,
) -> Document:
    """The impact assessment report for `spec` as of `today`: what the spec does not say is shown as a gap.

    `stored` is the number of individuals the deployment stores, where the caller counted it (oversight does);
    `verification` is the model's 1:1 operating point (ACC-2), where the caller knows the model (the gate does).
    A Chinese spec gets a Chinese report; `chinese` asks for one whatever the spec's language (a Chinese page).
    """
    report = evaluate(spec, profiles, today=today, settings=settings)
    zh = chinese_spec(spec) if chinese is None else chinese
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
              "{0}（{2} 项阻止性发现） / {1} ({2} blocking findings)".format(
                  *VERDICTS[report.verdict].split(" / "), len(report.blocking))),
    ]  # fmt: skip
    basis = _basis(spec)
    minors = "不预期 / not expected"
    if spec.minors.expected:
        minors = "预期 / expected" + (
            f"；专门规则 / special rules: {spec.minors.rules_ref}" if stated(spec.minors.rules_ref) else ""
        )
    sections = [
        Section("处理概况 / The processing assessed", [_overview(spec, zh)]),
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
                Entry("1:1 比对的阈值与误识率 / 1:1 threshold and false-match rate (ACC-2)",
                      verification_text(spec, verification)),
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
                    "第5.4节所列每项危害（泄露、篡改、丢失、毁损、非法获取、非法出售、非法利用）"
                    "在下方风险登记表中各占一行。 / "
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
                _runtime_measures(spec, report, settings, zh),
                Paragraph("不由软件执行、由处理者负责 / Not enforced by software, the handler's duty:"),
                Bullets([f"{zh} / {en}" for zh, en in zip(HANDLER_DUTIES_ZH, HANDLER_DUTIES, strict=True)]),
            ],
        ),
        *_cross_border(spec),
        Section("风险登记表 / Risk register", [_register(spec, report, zh)]),
        Section("评估结论 / Conclusion", _conclusion(spec, report, stored, zh)),
        Section(
            "保存与重新评估 / Keeping and redoing this assessment",
            [Bullets(_keeping(report))],
        ),
    ]
    return for_spec(Document(f"个人信息保护影响评估报告 / Impact assessment — {spec.name}", meta, sections), spec)


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
                Table(["接收方 / Recipient", "国家或地区 / Country or region", "出境机制 / Mechanism",
                       "当年1月1日以来的人数 / Individuals since 1 January"], rows),
            ],
        )
    ]


def _data_flow(spec: Deployment, zh: bool) -> str:
    both = "zh" if zh else "both"
    where = label(spec.storage.location, both)
    steps = [
        f"{'采集：' if zh else '采集 / capture: '}{label(spec.location.type, both) if spec.location.type else '—'}",
        f"{label(spec.modality, both)}",
        f"{'模板存储于：' if zh else '模板存储于 / templates stored in: '}{where}",
        label(spec.storage.raw_images, both),
    ]
    if stated(spec.identity_provider):
        steps.append(f"{'身份核验服务：' if zh else '身份核验服务 / identity service: '}{spec.identity_provider}")
    for r in spec.recipients:
        steps.append(f"{'提供给：' if zh else '提供给 / provided to: '}{r.name or '—'} ({label(r.country, both)})")
    return " → ".join(steps)


def _conclusion(spec: Deployment, report: Evaluation, stored: int | None, zh: bool) -> list[Block]:
    pia = spec.impact_assessment
    count, under = len(report.blocking), ", ".join(report.profiles)
    verdict_zh, verdict_en = VERDICTS[report.verdict].split(" / ")
    generated = (
        f"{verdict_zh}：按 {under} 检查，{count} 项阻止性发现 / {verdict_en}: {count} blocking finding(s) under {under}"
    )
    return [
        Entry("评估人 / Assessor", _text(pia.assessor if pia else None, "impact_assessment.assessor", "who assessed")),
        Entry("评估方法 / Method", _text(pia.method if pia else None, "impact_assessment.method", "how it was done")),
        Entry("数据流 / Data flow", _data_flow(spec, zh)),
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


def _overview(spec: Deployment, zh: bool) -> Table:
    storage, b = spec.storage, ("zh" if zh else "both")

    def said(zh_label: str, en_label: str, value: str) -> str:
        return f"{zh_label}：{value}" if zh else f"{zh_label} / {en_label}: {value}"

    consent = ("是" if zh else "是 / yes") if storage.transmission_consent else ("否" if zh else "否 / no")
    where = label(spec.location.type, b) if spec.location.type else "—"
    premises = label(spec.premises_type, b) if spec.premises_type else "—"
    description = spec.wording("purpose.description") or "—"
    rows: list[list[Value]] = [
        ["目的 / Purpose", f"{label(spec.purpose.category, b)}{'：' if zh else ': '}{description}"],
        ["情境 / Context", CONTEXTS[spec.context]],
        ["方式 / Method", f"{label(spec.modality, b)}{'，' if zh else ', '}{CAPTURES[spec.capture]}"],
        ["地点 / Location", f"{label(spec.location.setting, b)}; {where}; {said('场所', 'premises', premises)}"],
        ["法律依据 / Legal basis", _basis(spec)],
        ["存储 / Storage", f"{label(storage.location, b)}; {said('传输同意', 'transmission consent', consent)}; "
                           f"{label(storage.raw_images, b)}"],
        ["保存期限 / Retention", retention_words(spec) or Gap("storage.retention_days", "the retention period")],
        ["接收方 / Recipients", ", ".join(r.name or "—" for r in spec.recipients) or "无 / none"],
        ["比对以外的分析 / Analyses besides matching",
         f"{labels(spec.analyses)} / {labels(spec.analyses, 'en')}" if spec.analyses else "无 / none"],
    ]  # fmt: skip
    return Table(["方面 / Aspect", "部署规格所述 / What the deployment spec says"], rows)


def _runtime_measures(spec: Deployment, report: Evaluation, settings: Settings | None, zh: bool) -> Bullets:
    applied = {rule.id for rule in rules_for(report.profiles, settings)}
    return Bullets([
        f"{rule_id} — {RUNTIME_ZH[rule_id]}" + ("" if zh else f" / {what}") for rule_id, what in RUNTIME.items()
        if rule_id in applied and applies_here(rule_id, spec)
    ])  # fmt: skip


def _register(spec: Deployment, report: Evaluation, zh: bool) -> Table:
    rows: list[list[Value]] = []
    pia = spec.impact_assessment
    risks = list(pia.risks) if pia else []
    by_harm = {normalise(r.harm): r for r in risks}
    for harm in SECURITY_HARMS:
        risk = by_harm.get(harm)
        if risk is None:
            gap = Gap("impact_assessment.risks", f"likelihood, severity and mitigation of {harm}")
            rows.append([f"R{len(rows) + 1}", HARM_LABELS[harm], "第5.4节 / §5.4 harm", "—", "—", gap, "—"])
        else:
            rows.append(_risk_row(len(rows) + 1, HARM_LABELS[harm], "评估 / assessment", risk))
    for risk in risks:
        if normalise(risk.harm) not in SECURITY_HARMS:
            rows.append(_risk_row(len(rows) + 1, risk.harm, "评估 / assessment", risk))
    for finding in report.findings:
        if finding.severity != "INFO":
            where = finding.field or "deployment"
            action = (
                f"按 `facegate check` 的说明修改 {where}" if zh else humanise(finding.message)
            )  # finding messages are English: a Chinese report points to them instead of quoting them
            rows.append([f"R{len(rows) + 1}", f"{', '.join(finding.cites)} @ {where}", "facegate check", "—",
                         finding.severity, action, "—"])  # fmt: skip
    headers = ["序号 / No.", "风险 / Risk", "来源 / Source", "可能性 / Likelihood", "严重程度 / Severity",
               "减损措施或行动 / Mitigation or action", "责任人 / Owner"]  # fmt: skip
    return Table(headers, rows)


def _risk_row(number: int, label: str, source: str, risk: Risk) -> list[Value]:
    mitigation: Value = risk.mitigation or Gap("impact_assessment.risks", f"mitigation of {risk.harm}")
    return [f"R{number}", label, source, risk.likelihood or "—", risk.severity or "—", mitigation, risk.owner or "—"]


def _keeping(report: Evaluation) -> list[Value]:
    years = max(
        (get_profile(p).numbers.get("pia", {}).get("record_retention_years_min", 0) for p in report.profiles),
        default=0,
    )
    items: list[Value] = []
    if years:
        items.append(
            f"本报告及处理记录至少保存 {years} 年（CN25-9c、PIPL-55/56） / Keep this report and the processing records "
            f"for at least {years} years (CN25-9c, PIPL-55/56)."
        )
    triggers = (*REASSESSMENT_TRIGGERS["pia_legal"], *REASSESSMENT_TRIGGERS["pia_engine_as_method_change"])
    items.append(
        "出现以下情形之一时，须重新评估后方可继续处理："
        f"{'、'.join(TRIGGERS_ZH.get(t, t) for t in triggers)}（CN25-9d），"
        "重大安全事件由 `facegate incident record` 记录并重新开启评估 / Redo it before processing continues after: "
        f"{', '.join(t.replace('_', ' ') for t in triggers)} (CN25-9d), and after a major security incident "
        "(`facegate incident record` reopens it)."
    )
    return items
