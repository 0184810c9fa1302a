"""The filing package's five statutory items besides the PIA, each as a bilingual Document built from the
handler's registered deployments, their counts and the audit log's latest checkpoint (regulation.md §5.5)."""

from datetime import date
from typing import Any

from facegate import policy
from facegate.oversight.handlers import DeploymentView, HandlerView
from facegate.policy.answers import stated
from facegate.policy.claims import claim, made
from facegate.policy.document import Bullets, Document, Entry, Gap, Paragraph, Section, Table, Value
from facegate.policy.vocabulary import label, labels

PORTAL = "https://grxxbh.cacdtsc.cn"  # CN25-FA-2: the personal information protection business system

TITLES = {
    "handler_basic_information": "一、个人信息处理者基本情况 / 1. Handler basic information",
    "processing_purposes_and_methods": "二、处理人脸信息的目的和方式 / 2. Purposes and methods of processing",
    "stored_individuals_count": "三、存储人脸信息数量 / 3. Number of individuals whose facial information is stored",
    "security_measures": "四、安全保护措施 / 4. Security protection measures",
    "processing_rules_and_operating_procedures": "五、处理规则和操作规程 / 5. Processing rules and operating "
    "procedures",
    "pia_report": "六、个人信息保护影响评估报告 / 6. Personal information protection impact assessment report",
}
BUILT_IN_MEASURES = [
    "加密：人脸模板以每人一把的数据密钥进行 AES-256-GCM 加密；数据密钥由每个部署一把的密钥封装，"
    "部署密钥再由保存在数据库以外的主密钥封装；部署、个人和模型作为附加认证数据绑定，模板不能挪作他用。"
    "加密模板保存在运行该部署的节点的 facegate 数据库中：设备存储时即在识别设备内，"
    "否则在处理者的服务器或云端（见下文各部署） / Encryption (CN25-14a–d): templates sealed with AES-256-GCM under a "
    "per-subject data key; data keys wrapped by a per-deployment key, wrapped by a master key kept outside the "
    "database; deployment, subject and model bound in as associated data, so a template cannot be moved to another "
    "purpose. The sealed templates live in the facegate database of the node that runs each deployment: the "
    "recognition device itself for device storage, the handler's servers or cloud otherwise (per deployment below).",
    "删除：撤回同意即时删除（CN25-6d）；删除个人的数据密钥（加密销毁）后，在线数据中的模板立即无法解密。"
    "删除之前做的备份仍含该人被封装的密钥和模板，主密钥在手即可解密，因此备份须按删除时限到期销毁、"
    "且不得与主密钥一起保存（§8 Q10：在线数据即时删除，备份在下次轮换时删除） / Deletion: withdrawal of consent "
    "deletes at once (CN25-6d); deleting a subject's data key (crypto-shredding) makes the live copies of their "
    "templates unreadable at once. A backup taken before the deletion still holds the wrapped key and the template, "
    "which open with the master key, so backups expire on the deletion schedule and never hold the master key (§8 "
    "Q10: live data at once, backups at the next rotation).",
    "最小化：图像仅在内存中处理后丢弃，除非部署经每个人单独同意保留；日志、审计记录、"
    "错误信息和导出中不含生物识别数据（facegate 政策 FG-4，服务于 PIPL-51） / Minimisation: images are processed in "
    "memory and discarded unless the deployment retains them with each subject's separate consent; nothing biometric "
    "in logs, audit entries, errors or exports (facegate policy FG-4, serving PIPL-51).",
    "安全审计：每项决定（允许或拒绝及规则编号）写入防篡改日志（RFC 9162 默克尔树，Ed25519 签名检查点），"
    "至少保存3年（CN25-9c） / Security audit: every decision (allow or refuse, with rule IDs) appended to a "
    "tamper-evident log (RFC 9162 Merkle tree, Ed25519-signed checkpoints), kept at least 3 years (CN25-9c).",
    "访问控制与授权管理：管理员、操作员（仅对授权部署进行生物识别操作）、审计员（只读）、本人（仅限本人数据）；"
    "每项生物识别操作都经过闸门 / Access control and authorisation: roles admin, operator (biometric operations on "
    "granted deployments), auditor (read-only), subject (own data); every biometric operation passes the gate.",
    "保存期限：模板在部署的保存期限届满后被清除（CN25-8c） / Retention: templates expire after the deployment's "
    "retention period and are purged (CN25-8c).",
]


def _text(value: str | None, field: str, what: str) -> Value:
    return value if stated(value) else Gap(field, what)


def _outside(what: str) -> Gap:
    return Gap(what, "", handler_fills=True)


def _dated(today: date) -> list[Entry]:
    return [Entry("日期 / Date", today.isoformat())]


def handler_document(view: HandlerView, authority: str, profiles: list[str], today: date) -> Document:
    """Item 1: who the handler is, where it files, and what facegate does not hold (left to fill in)."""
    names = sorted({d.spec.handler.name for d in view.deployments})
    contacts = sorted({d.spec.handler.contact for d in view.deployments if stated(d.spec.handler.contact)})
    regions = sorted({d.spec.handler.region for d in view.deployments if stated(d.spec.handler.region)})
    blocks: list[Any] = [
        Entry("名称 / Name", view.name),
        Entry("联系方式 / Contact", "; ".join(contacts) if contacts else Gap("handler.contact", "the contact")),
        Entry("所在地区 / Region", "; ".join(regions) if regions else Gap("handler.region", "where the handler is")),
        Entry("备案机关 / Filing authority", authority),
        Entry("备案系统 / Filing system (CN25-FA-2)", PORTAL),
        Entry("统一社会信用代码 / Unified social credit code", _outside("the code")),
        Entry("法定代表人 / Legal representative", _outside("name and ID")),
        Entry("个人信息保护负责人 / Person responsible for PI protection", _outside("name and contact")),
        Entry("适用规则 / Profiles", ", ".join(profiles) or "cn2025"),
    ]
    if len(names) > 1:
        blocks.append(Paragraph(f"The deployments spell the name differently: {'; '.join(names)}. File one name."))
    return Document(
        TITLES["handler_basic_information"], _dated(today), [Section("基本情况 / Basic information", blocks)]
    )


MINORS = {True: "预期 / expected", False: "不预期 / not expected"}
COUNT_MODES = {
    "cumulative": "累计（删除后仍计入） / cumulative (counted after deletion)",
    "currently_stored": "当前存储 / currently stored",
}
STATUS = {
    "draft": "草稿 / draft", "active": "运行中 / active", "needs_reassessment": "待重新评估 / needs reassessment",
    "retired": "已停用 / retired",
}  # fmt: skip


def _method(d: DeploymentView) -> str:
    spec = d.spec
    capture = "主动采集 / active capture" if spec.capture == "active" else "无感采集 / passive capture"
    where = label(spec.location.type, "both") if spec.location.type else "—"
    return f"{label(spec.modality, 'both')}, {capture}; {label(spec.location.setting, 'both')} ({where})"


def _evidence(spec: Any) -> str:
    names = made(spec)
    if not names:
        return "无 / none (no claim lifts a duty)"
    return "; ".join(f"{label(n, 'both')}: {claim(spec, n).evidence}" for n in names)


def _attested(records: list[dict[str, Any]]) -> str:
    if not records:
        return "无 / none"
    return "; ".join(f"{label(r['claim'], 'both')}: {r['reviewer']} ({r['actor']}, {r['at'][:10]}), {r['document']}"
                     for r in records)  # fmt: skip


def purposes_document(view: HandlerView, today: date, attested: dict[str, list[dict[str, Any]]]) -> Document:
    """Item 2: each deployment in use, its purpose, method, legal basis, claims and attestations."""
    sections = []
    for d in view.in_use:
        spec = d.spec
        ref = spec.wording("legal_basis_ref")
        basis = label(spec.legal_basis, "both") + (f" ({ref})" if ref else "")
        storage = spec.storage
        sections.append(
            Section(
                f"{spec.name} ({d.id})",
                [
                    Entry("状态 / Status", STATUS.get(d.status, d.status)),
                    Entry("目的类别 / Purpose category", label(spec.purpose.category, "both")),
                    Entry(
                        "具体目的 / Specific purpose",
                        _text(spec.wording("purpose.description"), "purpose.description", ""),
                    ),
                    Entry("必要性 / Necessity", _text(spec.wording("purpose.necessity"), "purpose.necessity", "")),
                    Entry(
                        "最小影响 / Least impact",
                        _text(spec.wording("purpose.least_impact"), "purpose.least_impact", ""),
                    ),
                    Entry("方式 / Method", _method(d)),
                    Entry(
                        "采集区域 / Collection area",
                        _text(spec.wording("location.collection_area"), "location.collection_area", ""),
                    ),
                    Entry("法律依据 / Legal basis", basis),
                    Entry("依据与证明 / Claims and their evidence (§4.8)", _evidence(spec)),
                    Entry(
                        "审核人确认（审计日志） / Reviewers' attestations in the audit log", _attested(attested[d.id])
                    ),
                    Entry(
                        "替代方式 / Non-biometric alternatives",
                        f"{labels(spec.alternatives)} / {labels(spec.alternatives, 'en')}"
                        if spec.alternatives
                        else "无 / none",
                    ),
                    Entry(
                        "存储 / Storage",
                        f"{label(storage.location, 'both')}; {label(storage.raw_images, 'both')}; 传输同意 / "
                        f"transmission consent: {'是 / yes' if storage.transmission_consent else '否 / no'}",
                    ),
                    Entry(
                        "保存期限 / Retention",
                        f"{storage.retention_days} 天 / days"
                        if storage.retention_days is not None
                        else Gap("storage.retention_days", "the retention period"),
                    ),
                    Entry(
                        "接收方 / Recipients",
                        ", ".join(f"{r.name or '(unnamed)'} ({label(r.country, 'both')})" for r in spec.recipients)
                        or "无 / none",
                    ),
                    Entry("不满十四周岁 / Under-14s", MINORS[spec.minors.expected]),
                    Entry(
                        "比对以外的分析 / Analyses besides matching",
                        f"{labels(spec.analyses)} / {labels(spec.analyses, 'en')}" if spec.analyses else "无 / none",
                    ),
                ],
            )
        )
    if not sections:
        sections.append(Section("—", [Paragraph("没有在用的部署 / No deployment is in use (all retired).")]))
    return Document(TITLES["processing_purposes_and_methods"], _dated(today), sections)


def filing_due(data: dict[str, Any]) -> bool:
    """Whether any filing threshold has been reached (a filing is then due, CN25-15a/b)."""
    return any(t["reached"] for t in data["thresholds"])


def no_filing_statement(data: dict[str, Any]) -> str:
    """The statement a package carries while no threshold is reached: it is prepared ahead of any duty."""
    return (
        f"尚无备案义务：截至 {data['as_of']}，存储人脸信息的个人数量为 {data['stored_individuals']:,}，未达到备案门槛"
        f"（CN25-15a/b）；本材料为提前准备。 / No filing is due: {data['stored_individuals']:,} individuals stored "
        f"as of {data['as_of']}, below the filing threshold (CN25-15a/b); this package is prepared in advance."
    )


def count_document(view: HandlerView, data: dict[str, Any], per_deployment: dict[str, int], today: date) -> Document:
    """Item 3: the distinct individuals stored, per deployment, and the filing thresholds."""
    rows: list[list[Value]] = [[d, f"{n:,}"] for d, n in sorted(per_deployment.items())]
    thresholds: list[list[Value]] = [
        [
            t["profile"],
            t["condition"],
            "是 / yes" if t["applies"] else "否 / no",
            t["reached_on"] or "未达到 / not reached",
        ]
        for t in data["thresholds"]
    ]
    due = [] if filing_due(data) else [Paragraph(no_filing_statement(data))]
    return Document(
        TITLES["stored_individuals_count"],
        _dated(today),
        [
            *([Section("备案义务 / Filing duty", due)] if due else []),
            Section(
                "数量 / Count",
                [
                    Entry("截至 / As of (Beijing date)", data["as_of"]),
                    Entry("计数方式 / Count mode (§8 Q1)", COUNT_MODES.get(data["count_mode"], data["count_mode"])),
                    Entry("存储人脸信息的个人数量 / Distinct individuals stored", f"{data['stored_individuals']:,}"),
                    Entry("累计 / Cumulative (ever stored, de-duplicated)", f"{data['cumulative']:,}"),
                    Entry("当前 / Currently stored", f"{data['currently_stored']:,}"),
                    Paragraph(
                        "One individual counts once across all of the handler's deployments; under the cumulative "
                        "mode an individual stays counted after deletion."
                    ),
                ],
            ),
            Section("按部署 / Currently stored, per deployment", [Table(["Deployment", "Individuals"], rows)]),
            Section(
                "备案门槛 / Filing thresholds",
                [Table(["Profile", "Threshold", "Applies", "Reached on"], thresholds)],
            ),
        ],
    )


def security_document(view: HandlerView, checkpoint: dict[str, Any] | None, today: date) -> Document:
    """Item 4: facegate's built-in measures, the latest audit checkpoint, each deployment's own."""
    per: list[Section] = []
    for d in view.in_use:
        spec = d.spec
        pia = spec.impact_assessment
        risks: list[list[Value]] = [
            [r.harm, r.likelihood or "—", r.severity or "—", r.mitigation or Gap("impact_assessment.risks", "")]
            for r in (pia.risks if pia else [])
        ]
        per.append(
            Section(
                f"{spec.name} ({d.id})",
                [
                    Entry(
                        "等级保护 / MLPS level (CN25-14e)",
                        str(spec.security.mlps_level)
                        if spec.security.mlps_level
                        else Gap("security.mlps_level", "the MLPS level"),
                    ),
                    Entry("模板存储位置 / Where the sealed templates are", label(spec.storage.location, "both")),
                    Entry("设备认证 / Device certification", spec.device_certification_ref or "无 / none recorded"),
                    Entry(
                        "保护措施 / Protection measures",
                        _text(pia.protection_measures if pia else None, "impact_assessment.protection_measures", ""),
                    ),
                    Entry("入侵检测和防范 / Intrusion detection and prevention", _outside("the IDS/IPS in place")),
                    Table(["Harm", "Likelihood", "Severity", "Mitigation"], risks),
                ],
            )
        )
    built_in: list[Any] = [Bullets(list(BUILT_IN_MEASURES))]
    if checkpoint:
        built_in.append(
            Entry(
                "最新审计检查点 / Latest signed audit checkpoint",
                f"{checkpoint['origin']}, {checkpoint['tree_size']} entries, root {checkpoint['root_hash']}",
            )
        )
    return Document(
        TITLES["security_measures"], _dated(today), [Section("facegate 内置措施 / Built into facegate", built_in), *per]
    )


def rules_document(view: HandlerView, today: date) -> Document:
    """Item 5: the operating procedures and each deployment's processing rules (its notice)."""
    sections = [
        Section(
            "操作规程 / Operating procedures (all deployments)",
            [
                Bullets(
                    [
                        "告知在先 / The current notice is shown and recorded before any capture (CN25-5b); a changed "
                        "notice is shown again before the next capture (CN25-5c).",
                        "单独同意 / Consent is separate, never pre-ticked, bound to the notice version; a change of "
                        "purpose, method or data type makes consents stale until given again (CN25-6, CN25-6e).",
                        "不满十四周岁 / Under-14s need a guardian's consent and the deployment's special rules "
                        "(CN25-7).",
                        "替代方式 / Anyone may decline face recognition and use a non-biometric method (CN25-10b); "
                        "they are not asked again (NDSR-22), and not within 48 hours at all (facegate policy FG-3).",
                        "撤回与删除 / Withdrawal stops processing and deletes the facial data at once (CN25-6d); "
                        "retired deployments delete all templates (CN25-15e).",
                        "保存期限 / Templates are purged when their retention ends (CN25-8c).",
                        "变更备案 / A substantive change is filed within 30 working days; cancellation within 30 "
                        "working days after face recognition ends (CN25-15d/e).",
                        "记录保存 / Impact assessments and processing records are kept at least 3 years (CN25-9c).",
                    ]
                )
            ],
        )
    ]
    for d in view.in_use:
        fields = policy.notice_fields(d.spec)
        rows: list[list[Value]] = [[f.label, f.shown()] for f in fields]
        rows.append(["投诉渠道 / Complaint channel", _text(d.spec.notice.complaint_channel, "notice.complaint_channel",
                                                                "")])  # fmt: skip
        sections.append(Section(f"处理规则 / Processing rules — {d.spec.name} ({d.id})", [Table(["", ""], rows)]))
    return Document(TITLES["processing_rules_and_operating_procedures"], _dated(today), sections)
