"""The rules of the 2023 draft (CN23), applied only under profile cn2023-draft or a §8 hardening flag."""

from collections.abc import Iterator

from facegate.policy import claims, facts
from facegate.policy.answers import stated
from facegate.policy.profiles import INFERENCE_EXCEPTIONS, INFERENCE_LISTS, normalise
from facegate.policy.rule import CheckContext, Rule, Violation
from facegate.policy.spec import Deployment
from facegate.policy.vocabulary import label, labels

DRAFT = ("cn2023-draft",)


def non_biometric_first(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-4a: non-biometric solutions are considered first."""
    if not stated(spec.purpose.alternatives_analysis):
        yield Violation(
            "purpose.alternatives_analysis",
            "the draft asks to prioritise non-biometric solutions: say in purpose.alternatives_analysis which were "
            "considered and why they do not meet the purpose",
            zh="征求意见稿要求优先采用非生物特征识别方案：请在 purpose.alternatives_analysis 中说明考虑过哪些方案、"
            "为何不能实现目的",
        )


def sensitive_analyses(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-11: no analysis of race, ethnicity, religion, health, social class or other sensitive PI."""
    denied = [a for a in facts.analyses(spec) if a in INFERENCE_LISTS["cn_draft_art11"]]
    if denied and not facts.exception_recorded(spec, INFERENCE_EXCEPTIONS["cn"]):
        yield Violation(
            "analyses",
            f"the draft forbids analysing {', '.join(denied)}; remove them from analyses, or record a security, "
            "emergency or separate-consent exception in analysis_exception",
            zh=f"征求意见稿禁止分析{labels(denied)}；请从 analyses 中删除，或在 analysis_exception 中记录安全、"
            "紧急情况或单独同意的例外",
        )


def consent_default(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T01: consent is the default basis; another basis needs a law that exempts consent."""
    if spec.consent_based or (spec.legal_basis == "statutory" and claims.supported(spec, "statutory_basis")):
        return
    yield Violation(
        "legal_basis",
        f"under the draft, {spec.legal_basis} is not a basis for facial data: use separate_consent (or "
        "written_consent), or legal_basis: statutory with the exempting law backed by a registry provision or a "
        "reviewer's attestation",
        zh=f"按征求意见稿，“{label(spec.legal_basis)}”不能作为处理人脸信息的依据：请改用单独同意或书面同意（设 "
        "legal_basis: separate_consent 或 legal_basis: written_consent），或设 legal_basis: statutory "
        "并以登记的规定或审核人的确认证明豁免同意的法律",
    )


def public_place_confidential(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T03: public-place data is kept confidential and not provided to others."""
    if not facts.public_place(spec):
        return
    for i, recipient in enumerate(spec.recipients):
        if not recipient.separate_consent:
            yield Violation(
                f"recipients[{i}]",
                f"facial data from a public place must not be provided to {recipient.name or 'others'}; remove the "
                "recipient or obtain each subject's separate consent",
                zh=f"公共场所所得人脸信息不得提供给{recipient.name or '他人'}；请删除该接收方，或取得每个人的单独同意",
            )


def internal_area(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T04: internal-management devices cover only the area actually needed."""
    if spec.location.setting == "private_premises" and not stated(spec.location.collection_area):
        yield Violation(
            "location.collection_area",
            "devices for internal management must cover only the area actually needed: describe it in "
            "location.collection_area",
            zh="用于内部管理的设备应仅覆盖实际需要的区域：请在 location.collection_area 中描述",
        )


def business_premises(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T05: business premises must not force FR verification unless law requires it."""
    if facts.is_business_premises(spec) and not spec.alternatives and not claims.supported(spec, "sole_method"):
        yield Violation(
            "alternatives",
            f"a {facts.premises(spec)} must not force face recognition: offer a non-FR way (e.g. ID document "
            "checked by staff) in alternatives",
            zh=f"{facts.premises(spec)} 不得强制要求人脸识别：请在 alternatives 中提供非人脸识别方式（如由工作人员"
            "查验身份证件）",
        )


def active_and_prompted(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T06: verification is voluntary and active, with a real-time prompt of its purpose."""
    if spec.modality == "verification" and spec.capture == "passive":
        yield Violation(
            "capture", "verification must need the person's active participation: set capture: active",
            zh="验证须由本人主动配合：请设 capture: active",
        )  # fmt: skip
    if not spec.notice.realtime_purpose_prompt:
        yield Violation(
            "notice.realtime_purpose_prompt",
            "the device must show or speak the purpose at capture: add the prompt and set "
            "notice.realtime_purpose_prompt: true",
            zh="设备须在采集时显示或播报目的：请添加提示并设 notice.realtime_purpose_prompt: true",
        )


def remote_identification(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T08: remote, non-perceptible identification only for security or emergencies, tightly bounded."""
    if not facts.is_remote_passive_identification(spec):
        return
    if not facts.public_security_duty(spec):
        yield Violation(
            "capture",
            f"remote, passive 1:N identification is only for national or public security or emergencies, not "
            f"{spec.purpose.category}; set capture: active (people present their face) or stop identifying",
            zh=f"远距离、无感式 1:N 辨识仅限国家安全、公共安全或紧急情况，{spec.purpose.category} 不属于此类；请设 "
            "capture: active（由本人出示面部），或停止辨识",
        )
        return
    watchlist = spec.watchlist
    needs = {
        "legal_basis_ref": ("the legal basis", "法律依据"),
        "time_window": ("the time window", "时间范围"),
        "geofence": ("the area", "区域范围"),
        "target_cap": ("the maximum number of targets", "目标人数上限"),
    }
    for key, (what, zh) in needs.items():
        value = getattr(watchlist, key) if watchlist else None
        if value is None or (isinstance(value, str) and not stated(value)):
            needed = f"remote identification needs {what}: set watchlist.{key}"
            yield Violation(f"watchlist.{key}", needed, zh=f"远距离辨识须载明{zh}：请设 watchlist.{key}")


def manual_review(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T09: in social assistance and real-estate disposal, FR assists but never replaces manual review."""
    sectors = ctx.profile.numbers.get("manual_review_required", ())
    if normalise(spec.sector or "") in sectors and not spec.human_review:
        yield Violation(
            "human_review",
            f"in {spec.sector}, face recognition may only assist a person's identity review: add the manual review "
            "step and set human_review: true",
            zh=f"在 {spec.sector} 领域，人脸识别只能辅助人工核验身份：请增加人工核验环节并设 human_review: true",
        )


def raw_images(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T10 (and §8 Q6 under cn2025): no original images without law or separate consent."""
    for v in claims.violations(spec, "raw_images_by_law"):
        yield Violation(v.field, v.message, v.severity, questions=("Q6",), zh=v.zh)


def filing_public_place(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T13: any public-place use must be filed with the municipal CAC."""
    if facts.public_place(spec):
        yield Violation(
            "location.setting",
            "under the draft, any public-place use must be filed with the municipal cyberspace administration within "
            "30 working days",
            zh="按征求意见稿，任何公共场所的使用均须在三十个工作日内向市级网信部门备案",
        )


def certified_devices(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T14: catalogued devices are supplied only after certification or testing."""
    if not stated(spec.device_certification_ref):
        yield Violation(
            "device_certification_ref",
            "record the certification or test report of the recognition devices in device_certification_ref",
            zh="请在 device_certification_ref 中记录识别设备的认证证书或检测报告",
        )


RULES: tuple[Rule, ...] = (
    Rule("CN23-2", "Covers FR users and providers of FR products and services", "INFO", "C", DRAFT,
         enforced_at=("oversight",)),
    Rule("CN23-3", "No FR for prohibited activities", "BLOCK", "C", DRAFT, via=("CN25-3",)),
    Rule("CN23-4a", "Specific purpose, necessity; prioritise non-biometric solutions", "BLOCK", "C", DRAFT,
         check=non_biometric_first),
    Rule("CN23-4b", "National identity channels encouraged", "INFO", "C", DRAFT, via=("CN25-11",)),
    Rule("CN23-11", "No analysis of race, ethnicity, religion, health, social class, other sensitive PI", "BLOCK",
         "S", DRAFT, check=sensitive_analyses, enforced_at=("gate",)),
    Rule("CN23-T01", "Separate (or written) consent is the default basis", "BLOCK", "S", DRAFT,
         check=consent_default, enforced_at=("gate",)),
    Rule("CN23-T02", "No capture or identification equipment in privacy-infringing places", "BLOCK", "S", DRAFT,
         via=("CN25-13a",)),
    Rule("CN23-T03", "Public-place data confidential, public-security use only", "BLOCK", "S", DRAFT,
         check=public_place_confidential, enforced_at=("gate",)),
    Rule("CN23-T04", "Internal-management devices: area per actual need; no unauthorised viewing or export",
         "BLOCK", "S", DRAFT, check=internal_area, enforced_at=("gate", "audit")),
    Rule("CN23-T05", "Business premises must not force FR verification", "BLOCK", "S", DRAFT,
         check=business_premises, enforced_at=("gate",), note="S (list U)"),
    Rule("CN23-T06", "Voluntary, active verification with a real-time purpose prompt", "BLOCK", "S", DRAFT,
         check=active_and_prompted, enforced_at=("gate",)),
    Rule("CN23-T07", "Property managers: FR not the only entry method", "BLOCK", "S", DRAFT, via=("SPC21-10",),
         note="S/C (SPC21-10)"),
    Rule("CN23-T08", "Remote, non-perceptible identification only for security or emergencies", "BLOCK", "S", DRAFT,
         check=remote_identification, enforced_at=("gate",), note="S (conditions U)"),
    Rule("CN23-T09", "Social assistance, real-estate disposal: manual identity review", "BLOCK", "S", DRAFT,
         check=manual_review, enforced_at=("gate",)),
    Rule("CN23-T10", "No original facial images without law or separate consent", "BLOCK", "S", DRAFT,
         check=raw_images, enforced_at=("gate", "vault"), flag="storage.raw_image_discard", questions=("Q6",)),
    Rule("CN23-T11", "Under 14: guardian separate or written consent", "BLOCK", "S", DRAFT, via=("CN25-7a/b",)),
    Rule("CN23-T12", "Impact assessment before processing; kept; redone on change", "BLOCK", "S", DRAFT,
         via=("CN25-9a/b", "CN25-9d"), note="S (content U)"),
    Rule("CN23-T13", "File with the municipal CAC: public places or over 10,000 people", "WARN", "S", DRAFT,
         check=filing_public_place, enforced_at=("oversight",), note="S (materials U)"),
    Rule("CN23-T14", "Catalogued devices only after certification or testing", "BLOCK", "S", DRAFT,
         check=certified_devices),
    Rule("CN23-T15", "Supervision by CAC with telecoms, public security, market regulators", "INFO", "S", DRAFT,
         enforced_at=("oversight",)),
)  # fmt: skip
