"""The rules of the final Measures (CN25, in force 2025-06-01) and the filing announcement (CN25-FA)."""

from collections.abc import Iterator

from facegate.policy import claims, facts
from facegate.policy.answers import stated
from facegate.policy.notice import notice_fields
from facegate.policy.profiles import INFERENCE_EXCEPTIONS, SECURITY_HARMS, normalise
from facegate.policy.rule import CheckContext, Rule, Violation
from facegate.policy.rules import copy_lint
from facegate.policy.rules.filing import expected_filing
from facegate.policy.spec import Deployment
from facegate.policy.vocabulary import label, labels, tagged

CN = ("cn2025",)
BIOMETRIC_ALTERNATIVES = tagged("alternative", "biometric")  # fingerprint: another biometric, not an alternative
KNOWN_ACCOUNT_PURPOSES = ("identity_verification", "payment", "device_unlock", "account_recovery")
NATIONAL_CHANNEL_PURPOSES = ("identity_verification", "account_recovery")
# The §5.4 harms as a Chinese assessment names them.
HARMS_ZH: dict[str, tuple[str, ...]] = {
    "leak": ("泄露",), "tamper": ("篡改",), "loss": ("丢失", "遗失"), "destruction": ("毁损", "损毁", "破坏"),
    "illegal_acquisition": ("非法获取",), "illegal_sale": ("非法出售", "非法买卖"),
    "illegal_use": ("非法使用", "非法利用"),
}  # fmt: skip


def context(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-2: R&D and training are outside CN25 and never live; live purposes are production."""
    training = spec.purpose.category == "algorithm_training"
    if spec.context == "rnd_algorithm_training" and not training:
        yield Violation(
            "context",
            f"context is rnd_algorithm_training but the purpose ({spec.purpose.category}) is a live use; "
            "set context: production, or keep R&D on its own spec with purpose.category: algorithm_training",
            zh=f"context 为 rnd_algorithm_training，但目的（{spec.purpose.category}）属于实际应用；请设 context: "
            "production，或将研发放在单独的说明书中并设 purpose.category: algorithm_training",
        )
    elif spec.context == "production" and training:
        yield Violation(
            "purpose.category",
            "algorithm training is not a production purpose; set context: rnd_algorithm_training so the gate "
            "keeps it apart from live matching",
            zh="算法训练不是生产用途；请设 context: rnd_algorithm_training，门控据此将其与实际比对分开",
        )
    elif training:
        yield from copy_lint.live_use_wording(spec)
        yield Violation(
            "context",
            "R&D and algorithm training are outside CN25 but PIPL still applies; the gate refuses live enrollment "
            "and matching for this deployment",
            zh="研发和算法训练不适用本办法，但个人信息保护法仍适用；门控拒绝该部署的实际录入和比对",
            severity="INFO",
        )


def denied_analyses(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-3: no analysis on the deny-list (§5.2, §8 Q4) without a recorded exception."""
    denied = [a for a in facts.analyses(spec) if a in ctx.inference_denylist]
    if denied and not facts.exception_recorded(spec, INFERENCE_EXCEPTIONS["cn"]):
        yield Violation(
            "analyses",
            f"analyses {', '.join(denied)} are on the deny-list of prohibited inferences; remove them, or record a "
            "national-security, public-security, emergency or separate-consent exception in analysis_exception "
            "(with its ref)",
            zh=f"分析{labels(denied)}属于禁止推断清单；请删除，或在 analysis_exception 中记录国家安全、公共安全、"
            "紧急情况或单独同意的例外（附其依据 ref）",
            questions=("Q4",),
        )


def purpose_and_necessity(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-4a: a specific purpose, its necessity and the least-impact rationale are stated."""
    asks = {
        "description": (
            "state the specific purpose in purpose.description", "未载明具体目的：请在 purpose.description 中写明"
        ),
        "necessity": (
            "state in purpose.necessity why face recognition is necessary for this purpose",
            "未说明必要性：请在 purpose.necessity 中说明为何该目的必须使用人脸识别",
        ),
        "least_impact": (
            "state in purpose.least_impact why this modality, storage and retention are the least intrusive choice",
            "未说明影响最小：请在 purpose.least_impact 中说明为何该识别方式、存储和保存期限侵入性最小",
        ),
    }
    for name, (ask, zh) in asks.items():
        if not stated(getattr(spec.purpose, name)):
            yield Violation(f"purpose.{name}", f"no {name.replace('_', '-')} given: {ask}", zh=zh)


def least_intrusive(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-4c: flag choices other than the least-intrusive defaults (1:1, on-device, template only)."""
    if spec.modality == "identification" and spec.purpose.category in KNOWN_ACCOUNT_PURPOSES:
        yield Violation(
            "modality",
            f"1:N identification used for {spec.purpose.category}, where the person has a known account; use 1:1 "
            "verification against the claimed account",
            zh=f"{label(spec.purpose.category)}中个人已有已知账户，却使用 1:N 辨识；请改用针对所声称账户的 1:1 验证",
        )
    elif spec.modality == "identification":
        yield Violation(
            "modality",
            "1:N identification is more intrusive than 1:1 verification; make sure purpose.least_impact explains "
            "why searching everyone enrolled is needed",
            zh="1:N 辨识比 1:1 验证更具侵入性；请确保目的中的“影响最小说明”写明为何需要检索全部已录入人员",
        )
    if spec.off_device:
        yield Violation(
            "storage.location",
            f"storage.location is {spec.storage.location}, not the least-intrusive default (the device); make sure "
            "purpose.least_impact explains why facial data must leave the device",
            zh=f"存储位置为{label(spec.storage.location)}，不是侵入性最小的默认方式（存于设备）；请确保目的中的"
            "“影响最小说明”写明为何人脸信息必须离开设备",
        )
    if spec.storage.raw_images != "discard":
        yield Violation(
            "storage.raw_images",
            "raw images are kept; the least-intrusive default keeps only the template: set raw_images: discard "
            "unless purpose.least_impact explains why images are needed",
            zh="保存了原始图像；侵入性最小的默认方式只保存模板：请设 raw_images: discard，除非目的中的“影响最小说明”"
            "写明为何需要图像",
        )


def notice_complete(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-5a: the notice says everything §5.3 requires."""
    for item in notice_fields(spec):
        if not item.present:
            yield Violation(
                item.source, f"the notice lacks '{item.label}': set {item.source}",
                zh=f"告知书缺少「{item.label.partition(' / ')[0]}」：请设 {item.source}",
            )  # fmt: skip


def accessible_notice(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-5d: barrier-free notice and capture for disabled and elderly people."""
    if spec.notice.accessible:
        return
    yield Violation(
        "notice.accessible",
        "the notice has no accessible versions: provide screen-reader, large-font and voice versions and set "
        "notice.accessible: true (list them in notice.accessible_variants)",
        zh="告知书没有无障碍版本：请提供读屏、大字和语音版本，并设 notice.accessible: true（在 "
        "notice.accessible_variants 中列出）",
        severity=None if facts.is_public_facing(spec) else "WARN",
    )


def minors_rules(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-7c: under-14s' facial data is handled under special rules, published and linked (FG-1/FG-2 go further)."""
    unknown_age = ctx.settings.get("minors.unknown_age")
    if not spec.minors.expected and facts.minors_expected(spec, unknown_age):
        yield Violation(
            "minors.expected",
            f"premises_type {spec.premises_type} is where children are likely and unknown ages count as under 14: set "
            "minors.expected: true and meet the rules for under-14s (or, adults only: capture active, age_floor >= 14)",
            zh=f"premises_type {spec.premises_type} 属于可能有儿童的场所，年龄不明者按不满十四周岁对待：请设 "
            "minors.expected: true 并遵守其规则（仅成年人：capture active，age_floor ≥ 14）",
            questions=("Q15",),
        )
    if not facts.minors_expected(spec, unknown_age):
        return
    if not stated(spec.minors.rules_ref):
        yield Violation(
            "minors.rules_ref",
            "under-14s are expected but no special processing rules are linked: publish them and set "
            "minors.rules_ref",
            zh="预计有不满十四周岁者，但未链接专门处理规则：请公布规则并设 minors.rules_ref",
        )


def on_device(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-8a/b: facial data stays on the device unless separate consent or a law allows moving it."""
    yield from copy_lint.off_device_wording(spec)
    if spec.storage.location == "on_premises" and ctx.settings.get("storage.device_definition") != "capture_endpoint":
        return
    if spec.off_device and not spec.storage.transmission_consent and not claims.supported(spec, "statutory_basis"):
        yield Violation(
            "storage.location",
            f"storage.location is {spec.storage.location}, so facial data leaves the recognition device; store it on "
            "the device, or set storage.transmission_consent: true (the gate then asks each subject's separate "
            "consent), or rest on a statutory basis backed by a registry provision or a reviewer's attestation",
            zh=f"存储位置为{label(spec.storage.location)}，人脸信息因此离开人脸识别设备；请存于设备内，或设 "
            "storage.transmission_consent: true（门控随即征求每个人的单独同意），或以登记的法律规定或审核人的确认"
            "为法定依据",
            questions=("Q5",),
        )


def retention(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-8c: a retention period, the shortest necessary and justified; raw images no longer than templates."""
    storage = spec.storage
    yield from copy_lint.retention_wording(spec)
    if storage.retention_days is None and not stated(storage.retention_determination_method):
        yield Violation(
            "storage.retention_days",
            "no retention period: set storage.retention_days to the shortest period the purpose needs",
            zh="未设保存期限：请将 storage.retention_days 设为实现目的所需的最短期限",
        )
    elif not stated(storage.retention_justification):
        yield Violation(
            "storage.retention_justification",
            "the retention period is not justified: say in storage.retention_justification why this period is the "
            "shortest the purpose needs",
            zh="保存期限缺少理由：请在 storage.retention_justification 中说明为何这是实现目的所需的最短期限",
            severity="WARN",
        )
    if storage.raw_images != "discard":
        if storage.raw_image_retention_days is None:
            yield Violation(
                "storage.raw_image_retention_days",
                "raw images are kept without a period: set storage.raw_image_retention_days",
                zh="保存原始图像却未设期限：请设 storage.raw_image_retention_days",
            )
        elif storage.retention_days is not None and storage.raw_image_retention_days > storage.retention_days:
            yield Violation(
                "storage.raw_image_retention_days",
                f"raw images are kept {storage.raw_image_retention_days} days, longer than the templates "
                f"({storage.retention_days}); shorten storage.raw_image_retention_days",
                zh=f"原始图像保存 {storage.raw_image_retention_days} 天，长于模板（{storage.retention_days} 天）；"
                "请缩短 storage.raw_image_retention_days",
            )


def impact_assessment(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-9a/b: an approved impact assessment with its four sections exists before processing."""
    pia = spec.impact_assessment
    if pia is None:
        yield Violation(
            "impact_assessment",
            "no impact assessment: do one before processing (four sections: lawfulness and necessity, rights "
            "impact, security risks, protection measures; `facegate pia` drafts it) and record its approval",
            zh="没有影响评估：请在处理前完成（四部分：合法性与必要性、对个人权益的影响、安全风险、保护措施；"
            "`facegate pia` 可起草）并记录其批准",
        )
        return
    if not stated(pia.approved_by):
        yield Violation(
            "impact_assessment.approved_by", "the impact assessment is not approved: set approved_by",
            zh="影响评估未经批准：请设 approved_by",
        )  # fmt: skip
    if pia.approved_on is None:
        yield Violation(
            "impact_assessment.approved_on", "the impact assessment has no approval date: set approved_on",
            zh="影响评估没有批准日期：请设 approved_on",
        )  # fmt: skip
    elif pia.approved_on > ctx.today:
        yield Violation(
            "impact_assessment.approved_on",
            f"the impact assessment is approved on {pia.approved_on}, after today ({ctx.today}); it must be approved "
            "before processing starts",
            zh=f"影响评估的批准日期为 {pia.approved_on}，晚于今天（{ctx.today}）；必须在处理开始前批准",
        )
    sections = {  # what each section weighs, in English and in Chinese
        "lawfulness_necessity": (
            "whether purpose and method are lawful, proper and necessary", "目的和方式是否合法、正当、必要"
        ),
        "rights_impact": (
            "the impact on individuals' rights and how well it is mitigated", "对个人权益的影响及其减轻程度"
        ),
        "security_risks": ("the security risks and possible harm", "安全风险和可能的危害"),
        "protection_measures": (
            "whether the protection measures are lawful, effective and proportionate", "保护措施是否合法、有效、相称"
        ),
    }
    for name, (what, zh) in sections.items():
        if not stated(getattr(pia, name)):
            lacks = f"the impact assessment lacks a section on {what}"
            yield Violation(f"impact_assessment.{name}", lacks, zh=f"影响评估缺少关于{zh}的部分")
    covered = {normalise(r.harm) for r in pia.risks}
    text = (pia.security_risks or "").lower()
    missing = [
        h for h in SECURITY_HARMS
        if h not in covered and h.replace("_", " ") not in text and not any(w in text for w in HARMS_ZH[h])
    ]  # fmt: skip
    if missing:
        yield Violation(
            "impact_assessment.risks",
            f"the security-risk section does not address {', '.join(missing)}: add rows to impact_assessment.risks",
            zh=f"安全风险部分未涉及{'、'.join(HARMS_ZH[h][0] for h in missing)}：请在 impact_assessment.risks 中补充",
            severity="WARN",
        )


def alternatives(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-10a: face is not the only way unless a state provision (§4.8) makes it so; nor is another biometric."""
    biometric = [m for m in spec.alternatives if m in BIOMETRIC_ALTERNATIVES]
    if stated(spec.sole_method_ref) and not spec.alternatives:
        yield from claims.violations(spec, "sole_method")
    elif len(biometric) == len(spec.alternatives) and not stated(spec.sole_method_ref):
        only, only_zh = "face recognition is the only way", "人脸识别是唯一方式"
        if biometric:
            only, only_zh = f"the only alternatives are biometric ({labels(biometric, 'en')})", "替代方式仅有生物特征"
        yield Violation(
            "alternatives",
            f"{only}: offer at least one non-biometric method in alternatives (access card, PIN, ID document, staff "
            "check), or cite the state provision that makes face the only method in sole_method_ref",
            zh=f"{only_zh}：请在 alternatives 中至少提供一种非生物特征方式（门禁卡、PIN、身份证件、人工核验），"
            "或在 sole_method_ref 中引用规定人脸为唯一方式的国家规定",
        )


def no_coercion(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-12a: no wording makes face recognition compulsory (the copy-lint), and declining it costs nothing."""
    yield from copy_lint.compulsory_wording(spec)
    for method, fee in spec.alternative_fees.items():
        yield Violation(
            "alternative_fees",
            f"the alternative {label(method, 'en')} ({label(method)}) costs {fee}: a fee for declining face "
            "recognition is a penalty that pushes people to it; offer the alternative free of charge",
            zh=f"替代方式{label(method)}收费 {fee}：拒绝人脸识别要付费，等于以惩罚迫使人们接受；请免费提供替代方式",
        )


def national_channel(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-11: identity checks are encouraged to use the national identity channels."""
    if spec.purpose.category in NATIONAL_CHANNEL_PURPOSES and not stated(spec.identity_provider):
        yield Violation(
            "identity_provider",
            "identity checks are encouraged to use the National Network Identity Authentication Public Service or "
            "the National Population Basic Information Database; record the provider in identity_provider",
            zh="鼓励身份核验使用国家网络身份认证公共服务或国家人口基础信息库；请在 identity_provider 中记录提供方",
        )


def private_spaces(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-13a: no FR device in private spaces within public places (§5.1 blocklist)."""
    where = facts.private_space(spec, ctx.location_blocklist)
    if where is not None:
        said = spec.location.type_description or spec.location.type
        said_zh = f"“{spec.location.type_description}”" if spec.location.type_description else ""
        yield Violation(
            "location.type",
            f"location.type {said!r} is {label(spec.location.type, 'both')}, a private space within a public place "
            f"({where}) where no face recognition device may be installed; remove the device or move it to a shared "
            "area such as the lobby or front desk",
            zh=f"安装位置{said_zh}属于{label(spec.location.type)}，是公共场所内的私密空间"
            + (f"（{label(where)}）" if label(where) != label(spec.location.type) else "")
            + "，不得安装人脸识别设备；请拆除设备或移至大堂、前台等共用区域",
            questions=("Q13",),
        )


def public_places(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-13b: public-place FR only for public security (evidenced, §4.8), in a delimited area, with signs."""
    yield from claims.violations(spec, "public_security")
    if not facts.public_place(spec):
        return
    where, where_zh = "", ""
    if spec.location.setting != "public_place":  # a street or square, whatever the setting says
        street = facts.location(spec) if facts.location(spec) in facts.PUBLIC_LOCATIONS else facts.premises(spec)
        where = f" (location.setting says {spec.location.setting}, but a {label(street, 'en')} is a public place)"
        where_zh = f"（location.setting 为 {spec.location.setting}，但{label(street)}属于公共场所）"
    if not facts.public_security_duty(spec):
        yield Violation(
            "purpose.category",
            f"face recognition in a public place{where} is allowed only where public security needs it (a public "
            f"security organ's statutory duty, or the public_security purpose with its evidence), not for "
            f"{spec.purpose.category} ({label(spec.purpose.category)}); remove the devices from the public place "
            "or move the use to private premises with consent",
            zh=f"公共场所{where_zh}仅在维护公共安全所必需时（公共安全机关的法定职责，或附证明的维护公共安全目的）方可使用"
            f"人脸识别，{label(spec.purpose.category)}不属于此类；请将设备撤出公共场所，"
            "或改在取得同意的非公共场所使用",
        )
    if not stated(spec.location.collection_area):
        yield Violation(
            "location.collection_area",
            "the collection area is not delimited: describe it (area or field of view) in location.collection_area",
            zh="未划定采集区域：请在 location.collection_area 中描述（区域或视野范围）",
        )
    if not spec.location.signage:
        yield Violation(
            "location.signage",
            "no prominent signs: put up signs at the collection area and set location.signage: true",
            zh="没有显著提示标识：请在采集区域设置标识，并设 location.signage: true",
        )


def mlps(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-14e: the MLPS level of the system is recorded."""
    if spec.security.mlps_level is None:
        yield Violation(
            "security.mlps_level", "no MLPS (等级保护) level recorded: grade the system, then set security.mlps_level",
            zh="未记录网络安全等级保护级别：请在定级后设 security.mlps_level",
        )


def complaints(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-16–18: a complaint and reporting channel exists for supervision."""
    if not stated(spec.notice.complaint_channel):
        yield Violation(
            "notice.complaint_channel",
            "no complaint and reporting channel: publish one and set notice.complaint_channel",
            zh="没有投诉、举报渠道：请公布渠道并设 notice.complaint_channel",
        )


def in_force(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-20: the Measures apply from 2025-06-01."""
    effective = ctx.profile.numbers["effective_date"]
    if ctx.today < effective:
        yield Violation(
            None, f"the Measures apply from {effective}; today ({ctx.today}) they are not yet in force",
            zh=f"本办法自 {effective} 起施行；今天（{ctx.today}）尚未施行",
        )  # fmt: skip


RULES: tuple[Rule, ...] = (
    Rule("CN25-1", "Purpose; based on CSL, DSL, PIPL, NDSR", "INFO", "C", CN, enforced_at=("policy",)),
    Rule("CN25-2", "Applies to FR processing, not R&D or algorithm training (PIPL still applies)", "BLOCK", "C", CN,
         check=context, enforced_at=("gate",)),
    Rule("CN25-3", "Lawful, ethical, honest; deny-list of purposes and inferences", "BLOCK", "C", CN,
         check=denied_analyses, enforced_at=("gate",), questions=("Q4",)),
    Rule("CN25-4a", "Specific purpose, sufficient necessity, least-impact method", "BLOCK", "C", CN,
         check=purpose_and_necessity),
    Rule("CN25-4b", "Requests stay within registered purposes", "BLOCK", "C", CN, enforced_at=("gate",)),
    Rule("CN25-4c", "Least-intrusive defaults (1:1, on device, template only, minimum retention)", "WARN", "C", CN,
         check=least_intrusive),
    Rule("CN25-5a", "Notice with every required field before processing", "BLOCK", "S", CN,
         check=notice_complete, enforced_at=("oversight",)),
    Rule("CN25-5b", "Notice shown before first capture", "BLOCK", "S", CN, enforced_at=("gate",)),
    Rule("CN25-5c", "Re-notify changed content", "BLOCK", "U", CN, enforced_at=("gate",), note="U/C (PIPL-17)"),
    Rule("CN25-5d", "Barrier-free notice and capture for disabled and elderly people", "BLOCK", "C", CN,
         check=accessible_notice, note="C (standard U)"),
    Rule("CN25-6a/b", "Separate, voluntary, explicit, informed consent; written where law requires", "BLOCK", "S", CN,
         check=copy_lint.consent_wording, enforced_at=("gate",), note="S (written U/C PIPL-29)"),
    Rule("CN25-6c", "Convenient withdrawal", "BLOCK", "S", CN, enforced_at=("gate", "vault"), note="S/C (PIPL-15)"),
    Rule("CN25-6d", "On withdrawal, stop and delete", "BLOCK", "S", CN, enforced_at=("gate", "vault"),
         note="S/C (PIPL-47)", questions=("Q10",)),
    Rule("CN25-6e", "Re-consent on change of purpose, method or data type", "BLOCK", "U", CN,
         enforced_at=("gate",), note="U/C (PIPL-14, NDSR-22); stale consents from policy.lifecycle"),
    Rule("CN25-7a/b", "Under 14: parent or guardian consent", "BLOCK", "S", CN, enforced_at=("gate",),
         questions=("Q3", "Q15")),
    Rule("CN25-7c", "Special rules for under-14s' facial information", "BLOCK", "S", CN, check=minors_rules,
         enforced_at=("gate",), questions=("Q15",),
         note="Art. 7 asks for special rules; the bans on 1:N and on transmission are facegate policies FG-1, FG-2"),
    Rule("CN25-8a/b", "Store in the FR device; no Internet transmission without separate consent or law", "BLOCK",
         "S", CN, check=on_device, enforced_at=("gate",), cites=("PIPL-29",), questions=("Q5",)),
    Rule("CN25-8c", "Retain only the shortest time necessary", "BLOCK", "S", CN, check=retention,
         enforced_at=("vault",), note="S/C (PIPL-19)"),
    Rule("CN25-8d", "No facial data in secondary stores (logs, telemetry, dumps): a facegate policy, see FG-4",
         "BLOCK", "S", CN, via=("FG-4",), note="Art. 8 states no such duty; facegate policy FG-4 (serves PIPL-51)"),
    Rule("CN25-9a/b", "Impact assessment approved before processing; processing recorded", "BLOCK", "S", CN,
         check=impact_assessment, enforced_at=("gate", "audit")),
    Rule("CN25-9c", "Keep assessment reports and processing records at least 3 years", "BLOCK", "S", CN,
         enforced_at=("audit", "oversight"), note="S/C (PIPL-56)"),
    Rule("CN25-9d", "Redo the assessment on change of purpose or method, or a major incident", "BLOCK", "S", CN,
         enforced_at=("gate",), questions=("Q14",), note="triggers from policy.lifecycle"),
    Rule("CN25-10a", "FR not the sole method where a non-FR method meets the purpose", "BLOCK", "C", CN,
         check=alternatives, enforced_at=("gate",)),
    Rule("CN25-10b", "Offer a reasonable, convenient alternative to those declining FR", "BLOCK", "S", CN,
         enforced_at=("gate",)),
    Rule("CN25-10c", "The alternative is reasonable and convenient", "WARN", "U", CN,
         enforced_at=("gate", "oversight"), questions=("Q12",)),
    Rule("CN25-11", "National identity channels encouraged", "INFO", "S", CN, check=national_channel,
         note="S (art. no. U)"),
    Rule("CN25-12a", "No misleading, fraud or coercion into FR verification (declining costs nothing)", "BLOCK", "S",
         CN, check=no_coercion, enforced_at=("gate",),
         note="software enforces: consent never pre-ticked, alternative shown with equal weight, no fee for the "
         "alternative; the handler's duty: no misleading wording or pretexts at the counter"),
    Rule("CN25-12b", "No repeated prompting after refusal (the duty is NDSR-22(5))", "BLOCK", "S", CN,
         enforced_at=("gate",), cites=("NDSR-22",), questions=("Q11",),
         note="S/C: NDSR-22(5) states it; the 48-hour window is facegate policy FG-3"),
    Rule("CN25-12c", "FR consent is not a condition of service unless necessary (the duty is PIPL-16)", "BLOCK", "S",
         CN, check=copy_lint.service_refused_wording, enforced_at=("gate",), cites=("PIPL-16",),
         note="S/C: PIPL-16 and SPC21-4 state it"),
    Rule("CN25-13a", "No FR device in private spaces within public places", "BLOCK", "S", CN, check=private_spaces,
         questions=("Q13",)),
    Rule("CN25-13b", "Public-place FR only for public security, delimited area, prominent signs", "BLOCK", "S", CN,
         check=public_places),
    Rule("CN25-13c", "Public-place data only for public security unless separate consent (the duty is PIPL-26)",
         "BLOCK", "S", CN, via=("CN25-13b",), cites=("PIPL-26",), note="S/C: PIPL-26 states it"),
    Rule("CN25-14a–d", "Encryption, security audit, access control, authorisation, intrusion detection", "BLOCK",
         "S", CN, enforced_at=("vault", "audit", "gate")),
    Rule("CN25-14e", "MLPS and critical-information-infrastructure duties", "WARN", "U", CN, check=mlps),
    Rule("CN25-15a/b", "Filing duty at 100,000 stored individuals", "WARN", "C", CN, enforced_at=("oversight",),
         check=expected_filing, questions=("Q1", "Q9"), note="C (mode U)"),
    Rule("CN25-15c", "File with the provincial CAC within 30 working days", "WARN", "C", CN,
         enforced_at=("oversight",), questions=("Q2",), cites=("CC-201",),
         note="C (contents S); the enrollment stop while a filing is overdue is facegate policy FG-5"),
    Rule("CN25-15d/e", "Update the filing after a substantive change; cancel when FR use ends", "WARN", "S", CN,
         enforced_at=("oversight",), questions=("Q8",)),
    Rule("CN25-FA-1", "Handlers at 100,000 before 2025-06-01 file by 2025-07-14", "WARN", "C", CN,
         enforced_at=("oversight",)),
    Rule("CN25-FA-2", "File online via the personal information protection business system", "INFO", "C", CN,
         enforced_at=("oversight",), note="C (attachments S)"),
    Rule("CN25-16–18", "Supervision, information sharing, complaint channel; liability", "WARN", "S", CN,
         check=complaints, enforced_at=("oversight",), note="S (split U)"),
    Rule("CN25-19", "Definitions: FR technology, 1:1, 1:N, FR device", "INFO", "S", CN, enforced_at=("policy",),
         note="S (wording U)"),
    Rule("CN25-20", "In force 2025-06-01", "INFO", "C", CN, check=in_force, note="C (art. no. S)"),
)  # fmt: skip
