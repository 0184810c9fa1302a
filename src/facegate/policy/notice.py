"""The notice to individuals (regulation.md §5.3), in Chinese and English, built only from what the spec says."""

from dataclasses import dataclass
from datetime import date

from facegate.policy import facts
from facegate.policy.accuracy import VerificationPoint, verification_text
from facegate.policy.answers import stated, stated_nothing
from facegate.policy.document import Bullets, Document, Entry, Gap, Paragraph, Section, Value
from facegate.policy.language import chinese_spec, for_spec
from facegate.policy.profiles import NOTICE_REQUIRED_FIELDS
from facegate.policy.spec import Deployment
from facegate.policy.vocabulary import label, labels


@dataclass(frozen=True)
class NoticeField:
    """One field of the notice: its §5.3 name, bilingual label, the spec field it comes from, and its text."""

    name: str
    label: str
    source: str
    value: str | None

    @property
    def present(self) -> bool:
        """Whether the spec says what this field needs."""
        return self.value is not None

    def shown(self) -> Value:
        """The value, or a gap naming the spec field to fill."""
        return self.value if self.value is not None else Gap(self.source, "")


MODALITY = {
    "verification": "1:1 人脸验证：将您的人脸与您所声明的身份进行比对 / 1:1 face verification: your face is "
    "compared with the one identity you claim",
    "identification": "1:N 人脸辨识：在已登记人员中查找与您匹配的人 / 1:N face identification: your face is "
    "searched among the people enrolled",
}
CAPTURE = {
    "active": "仅在您主动参与时采集 / captured only while you take part",
    "passive": "在您未主动参与时采集（无感采集） / captured without your active participation",
}
STORAGE = {
    "device": "人脸信息仅存储于人脸识别设备内 / facial data is stored only in the recognition device",
    "on_premises": "人脸信息存储于处理者自有服务器（设备以外） / facial data is stored on the handler's own "
    "servers, off the recognition device",
    "cloud": "人脸信息存储于云服务（设备以外） / facial data is stored in a cloud service, off the recognition device",
}
RAW_IMAGES = {
    "discard": "比对后即删除原始图像，仅保留人脸特征模板 / raw images are deleted after matching, only a face "
    "template is kept",
    "retain_with_consent": "仅在您单独同意时保留原始图像 / raw images are kept only with your separate consent",
    "retain_by_law": "依法律规定保留原始图像 / raw images are kept as the law cited below requires",
}
RIGHTS = [
    "查阅、复制 / access and copy",
    "转移 / transfer to another handler",
    "更正、补充 / correct and supplement",
    "删除 / delete",
    "限制或拒绝处理 / restrict or refuse processing",
    "注销账号 / close your account",
    "撤回同意（删除您的人脸信息） / withdraw consent (your facial data is then deleted)",
    "要求解释个人信息处理规则 / ask us to explain these processing rules (PIPL-48)",
]
LEGAL_BASIS = {
    "separate_consent": "您的单独同意 / your separate consent",
    "written_consent": "您的书面同意 / your written consent",
    "statutory": "法律、行政法规的规定 / a provision of law or administrative regulation",
    "contract": "订立、履行合同或人力资源管理所必需 / necessity for a contract or human-resources management",
}


def _methods(spec: Deployment) -> str:
    parts = [MODALITY[spec.modality], CAPTURE[spec.capture], STORAGE[spec.storage.location]]
    if spec.off_device and spec.storage.transmission_consent:
        parts.append("仅在您单独同意时传出设备 / transmitted off the device only with your separate consent")
    parts.append(RAW_IMAGES[spec.storage.raw_images])
    if spec.analyses:
        parts.append(
            f"比对以外的分析：{labels(spec.analyses)} / analyses besides matching: {labels(spec.analyses, 'en')}"
        )
    return "; ".join(parts)


def _pi_categories(spec: Deployment) -> str:
    items = ["人脸信息（敏感个人信息）：人脸特征模板 / "
             "facial information (sensitive personal information): face template"]
    if spec.storage.raw_images != "discard":
        items.append("人脸原始图像 / facial images")
    if spec.analyses:
        items.append(f"分析结果：{labels(spec.analyses)} / analysis results: {labels(spec.analyses, 'en')}")
    if spec.minors.expected:
        items.append("不满十四周岁未成年人的人脸信息 / facial information of minors under 14")
    return "; ".join(items)


def _days(days: int) -> str:
    if days == 0:
        return "不保存：仅在比对时存在于设备内存中 / not kept: held in the device's memory during the check only"
    return f"{days:,} 天 / {days:,} day{'s' if days != 1 else ''}"


def retention_words(spec: Deployment) -> str | None:
    """The retention period as the spec states it: the figure, and the spec's own words on it."""
    days = spec.storage.retention_days
    method = spec.wording("storage.retention_determination_method")
    if days is None:
        return f"保存期限的确定方法 / how the period is set: {method}" if stated(method) else None
    text = _days(days)
    if spec.storage.raw_images != "discard" and spec.storage.raw_image_retention_days is not None:
        text += f"; 原始图像 / raw images: {_days(spec.storage.raw_image_retention_days)}"
    said = spec.wording("storage.retention_justification")
    if stated(said):
        text += f"；{said}" if chinese_spec(spec) else f" ({said})"
    return text


def _text(value: str | None) -> str | None:
    return value if stated(value) else None


def _other_matters(spec: Deployment) -> str | None:
    if stated_nothing(spec.notice.other_legal_matters):  # "None." answers the question: there are no other matters
        return "无其他事项 / no other matters"
    return spec.wording("notice.other_legal_matters")


def notice_fields(spec: Deployment) -> list[NoticeField]:
    """The required fields of the notice (regulation.md §5.3 notice_required_fields), in order."""
    rights_impact = spec.wording("notice.rights_impact") or spec.wording("impact_assessment.rights_impact")
    fields = {
        "handler_name": ("处理者名称 / Handler name", "handler.name", spec.wording("handler.name")),
        "handler_contact": ("联系方式 / Contact", "handler.contact", _text(spec.handler.contact)),
        "purposes": ("处理目的 / Purposes", "purpose.description", spec.wording("purpose.description")),
        "methods": ("处理方式 / Methods", "modality", _methods(spec)),
        "retention_period": ("保存期限 / Retention period", "storage.retention_days", retention_words(spec)),
        "necessity": ("处理的必要性 / Why it is necessary", "purpose.necessity", spec.wording("purpose.necessity")),
        "rights_impact": ("对个人权益的影响 / Impact on your rights", "notice.rights_impact", rights_impact),
        "rights_exercise_procedure": (
            "行使权利的方式和程序 / How to exercise your rights", "notice.rights_exercise_procedure",
            spec.wording("notice.rights_exercise_procedure"),
        ),
        "pi_categories": ("个人信息种类 / Personal information processed", "storage.raw_images", _pi_categories(spec)),
        "retention_expiry_handling": (
            "保存期限届满后的处理方式 / What happens when the period ends", "notice.retention_expiry_handling",
            spec.wording("notice.retention_expiry_handling"),
        ),
        "other_legal_matters": (
            "法律、行政法规规定的其他事项 / Other matters required by law", "notice.other_legal_matters",
            _other_matters(spec),
        ),
    }  # fmt: skip
    return [NoticeField(name, *fields[name]) for name in NOTICE_REQUIRED_FIELDS]


def notice_document(
    spec: Deployment,
    profiles: tuple[str, ...] = ("cn2025",),
    *,
    issued: date | None = None,
    verification: VerificationPoint | None = None,
) -> Document:
    """The notice to individuals for `spec`, dated `issued`: every required field, a gap where the spec is silent.

    `verification` is the model's 1:1 operating point (ACC-2), where the caller knows the model; a Chinese spec gets a
    Chinese notice.
    """
    by_name = {f.name: f for f in notice_fields(spec)}

    def entry(name: str) -> Entry:
        return Entry(by_name[name].label, by_name[name].shown())

    meta = [
        Entry("部署 / Deployment", f"{spec.wording('name')} ({spec.id})"),
        Entry("告知版本 / Notice version", str(spec.notice.version)),
        Entry("处理依据 / Legal basis", LEGAL_BASIS[spec.legal_basis] + _ref(spec.wording("legal_basis_ref"))),
    ]
    if issued is not None:
        meta.append(Entry("日期 / Date", issued.isoformat()))
    sections = [
        Section("处理者 / Who processes your facial information", [entry("handler_name"), entry("handler_contact")]),
        Section(
            "目的、方式与必要性 / Purposes, methods and necessity",
            [entry("purposes"), entry("methods"), _accuracy(spec, verification), entry("necessity"),
             entry("pi_categories")],
        ),
        Section("保存 / How long it is kept", [entry("retention_period"), entry("retention_expiry_handling")]),
        Section("对您权益的影响 / Impact on your rights", [entry("rights_impact")]),
        Section("不使用人脸识别的方式 / Ways that do not use your face", [_alternatives(spec)]),
        Section(
            "您的权利 / Your rights",
            [Bullets(list(RIGHTS)), entry("rights_exercise_procedure"), _explanation(spec), _complaints(spec)],
        ),
    ]
    if spec.recipients or stated(spec.identity_provider):
        sections.append(_recipients(spec))
    if facts.minors_expected(spec, "treat_as_minor"):
        rules = _text(spec.minors.rules_ref)
        sections.append(
            Section(
                "不满十四周岁的未成年人 / Children under 14",
                [
                    Paragraph("须取得父母或其他监护人的同意 / a parent's or guardian's consent is required"),
                    Entry(
                        "专门的个人信息处理规则 / Special processing rules",
                        rules or Gap("minors.rules_ref", "the special rules for under-14s' facial information"),
                    ),
                ],
            )
        )
    if "bipa" in profiles:
        sections.append(_bipa(spec))
    sections.append(Section("其他事项 / Other matters", [entry("other_legal_matters"), _accessibility(spec)]))
    footer = (
        f"本告知由 facegate 根据部署规格 {spec.id} 生成；标注为“缺失”的内容须在采集任何人脸之前补全。 / "
        f"Generated by facegate from deployment spec {spec.id}: every item marked GAP must be completed "
        "before any face is captured (CN25-5a)."
    )
    sections.append(Section("说明 / About this notice", [Paragraph(footer)]))
    return for_spec(Document(f"人脸识别告知书 / Notice on facial recognition — {spec.name}", meta, sections), spec)


def _accuracy(spec: Deployment, point: VerificationPoint | None) -> Entry:
    label = "比对准确性 / How accurate matching is (ACC-2)"
    if spec.modality == "identification":
        return Entry(label, "1:N 辨识的阈值按已登记人数设定，使陌生人被认作他人的概率不超过目标（ACC-1） / 1:N "
                     "identification decides at a threshold set for the number enrolled, so that a stranger is named "
                     "as someone within the target rate (ACC-1)")  # fmt: skip
    return Entry(label, verification_text(spec, point))


def _ref(ref: str | None) -> str:
    return f" ({ref})" if stated(ref) else ""


def _alternatives(spec: Deployment) -> Entry:
    label = "替代方式 / Alternatives you may choose instead"
    if spec.alternatives:
        return Entry(label, f"{labels(spec.alternatives)} / {labels(spec.alternatives, 'en')}")
    if stated(spec.sole_method_ref):
        sole = "国家规定人脸识别为唯一方式 / the state makes face recognition the only method"
        return Entry(label, f"{sole}: {spec.wording('sole_method_ref')}")
    return Entry(label, Gap("alternatives", "a non-biometric alternative, or the provision making face the only way"))


def _explanation(spec: Deployment) -> Entry:
    channel = spec.wording("notice.explanation_channel") or spec.wording("notice.rights_exercise_procedure")
    return Entry(
        "要求解释处理规则 / Asking for the rules to be explained (PIPL-48)",
        channel or Gap("notice.explanation_channel", "where to ask for the processing rules to be explained"),
    )


def _complaints(spec: Deployment) -> Entry:
    channel = spec.wording("notice.complaint_channel")
    return Entry(
        "投诉、举报渠道 / Complaints and reports",
        channel or Gap("notice.complaint_channel", "a channel for complaints and reports"),
    )


def _recipients(spec: Deployment) -> Section:
    blocks: list[Entry | Paragraph | Bullets] = []
    if stated(spec.identity_provider):
        blocks.append(Entry("身份核验服务（登记或核验时使用） / Identity service used to check who you are",
                            spec.wording("identity_provider") or str(spec.identity_provider)))  # fmt: skip
    for i, r in enumerate(spec.recipients):
        where = f"recipients[{i}]"
        name = _text(r.name) or f"#{i + 1}"
        rows: list[tuple[str, str, str | None]] = [
            ("名称 / Name", "name", _text(r.name)),
            ("联系方式 / Contact", "contact", _text(r.contact)),
            ("目的 / Purpose", "purpose", spec.wording(f"{where}.purpose")),
            ("方式 / Method", "method", spec.wording(f"{where}.method")),
            ("个人信息种类 / Categories", "pi_categories", ", ".join(r.pi_categories) or None),
        ]
        if r.abroad:
            rows += [
                ("所在国家或地区 / Country or region (境外 / outside mainland China)", "country",
                 f"{label(r.country)} / {label(r.country, 'en')}"),
                ("向境外接收方行使权利的方式 / How to exercise your rights against this recipient", "rights_procedure",
                 spec.wording(f"{where}.rights_procedure")),
            ]  # fmt: skip
        for heading, key, value in rows:
            blocks.append(Entry(f"{name} — {heading}", value or Gap(f"{where}.{key}", f"the recipient's {key}")))
    return Section("向其他处理者提供 / Who else receives your facial information", blocks)


def _bipa(spec: Deployment) -> Section:
    schedule = _text(spec.notice.public_retention_schedule)
    days = spec.storage.retention_days
    return Section(
        "Illinois BIPA written notice",
        [
            Paragraph(
                "Biometric identifiers (face geometry) are collected and stored for the purpose stated above."
            ),
            Entry("Specific purpose", _text(spec.purpose.description) or Gap("purpose.description", "the purpose")),
            Entry("Length of term", f"{days} days" if days is not None else Gap("storage.retention_days", "the term")),
            Entry(
                "Public retention and destruction schedule",
                schedule or Gap("notice.public_retention_schedule", "where the retention schedule is published"),
            ),
        ],
    )


def _accessibility(spec: Deployment) -> Entry:
    label = "无障碍版本 / Accessible versions"
    if spec.notice.accessible and spec.notice.accessible_variants:
        return Entry(label, ", ".join(spec.notice.accessible_variants))
    if spec.notice.accessible:
        return Entry(label, Gap("notice.accessible_variants", "which accessible versions are offered"))
    return Entry(label, Gap("notice.accessible", "accessible versions for disabled and elderly people"))
