"""The other PRC provisions behind the Measures: PIPL, NDSR, the SPC 2021 provisions and GB/T 41819."""

import re
from collections.abc import Iterator

from facegate.policy import claims, facts
from facegate.policy.answers import stated
from facegate.policy.rule import CheckContext, Rule, Violation
from facegate.policy.spec import Deployment

PRC = ("cn2025",)
# Terms SPC21-11 says may be invalid: unlimited duration, irrevocable, freely sub-licensable.
UNFAIR_TERMS = re.compile(
    r"irrevocabl|perpetu|unlimited|in perpetuity|sub-?licens|不可撤销|永久|无限期|转授权|再许可", re.IGNORECASE
)


def legal_basis_ref(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-13: a basis other than consent names the law or contract behind it; a statutory one is evidenced (§4.8)."""
    if spec.legal_basis == "statutory" and (stated(spec.legal_basis_ref) or spec.attestations):
        yield from claims.violations(spec, "statutory_basis")
    elif not spec.consent_based and not stated(spec.legal_basis_ref):
        yield Violation(
            "legal_basis_ref",
            f"legal_basis is {spec.legal_basis} but no law or contract is named: set legal_basis_ref (e.g. the "
            "article of law), or use separate_consent",
            zh=f"legal_basis 为 {spec.legal_basis}，但未载明法律或合同：请设 legal_basis_ref（如法律条文），"
            "或使用 separate_consent",
        )


def recipients(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-23: providing facial data to another handler needs its particulars in the notice and separate consent."""
    for i, recipient in enumerate(spec.recipients):
        where = f"recipients[{i}]"
        for key in ("name", "contact", "purpose", "method"):
            if not stated(getattr(recipient, key)):
                name = f"the notice must name the recipient's {key}: set {where}.{key}"
                yield Violation(f"{where}.{key}", name, zh=f"告知书须载明接收方的 {key}：请设 {where}.{key}")
        if not recipient.pi_categories:
            listed = f"list what is provided in {where}.pi_categories"
            yield Violation(f"{where}.pi_categories", listed, zh=f"请在 {where}.pi_categories 中列出所提供的信息")
        if not recipient.separate_consent and not claims.supported(spec, "statutory_basis"):
            yield Violation(
                f"{where}.separate_consent",
                f"providing facial data to {recipient.name or 'another handler'} needs each subject's separate "
                f"consent: set {where}.separate_consent: true (the gate asks for it), or stop providing it",
                zh=f"向{recipient.name or '其他处理者'}提供人脸信息须取得每个人的单独同意：请设 "
                f"{where}.separate_consent: true（门控据此征求同意），或停止提供",
            )


def notice_exemption(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-18: notice is omitted only where a registered provision (or an attested one) exempts it."""
    yield from claims.violations(spec, "notice_exemption")


def explanation(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-48: the notice says where a person asks for the processing rules to be explained."""
    if not stated(spec.notice.explanation_channel) and not stated(spec.notice.rights_exercise_procedure):
        yield Violation(
            "notice.explanation_channel",
            "the notice does not say where a person may ask for the processing rules to be explained: set "
            "notice.explanation_channel (or notice.rights_exercise_procedure, which the notice then names for it)",
            zh="告知书未载明个人可在何处要求解释处理规则：请设 notice.explanation_channel（或 "
            "notice.rights_exercise_procedure，告知书随即以其作为解释渠道）",
        )


SENSITIVE_ASSESSMENT_BAND = 10000  # 2024 CAC cross-border provisions: sensitive PI of 10,000 people or more


def transfer_mechanism(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-38: a foreign recipient needs a transfer mechanism that matches the volume band."""
    for i, recipient in enumerate(spec.recipients):
        if not recipient.abroad:
            continue
        where = f"recipients[{i}]"
        band = recipient.individuals
        needs_assessment = band is None or band >= SENSITIVE_ASSESSMENT_BAND
        mechanism = recipient.transfer_mechanism
        if mechanism is None:
            yield Violation(
                f"{where}.transfer_mechanism",
                f"facial data goes abroad to {recipient.name or 'a recipient'} ({recipient.country}) with no transfer "
                "mechanism: set transfer_mechanism to security_assessment (10,000 people or more since 1 January, or "
                "count unknown), or standard_contract / certification (fewer), with transfer_mechanism_ref",
                zh=f"人脸信息向境外提供给{recipient.name or '接收方'}（{recipient.country}），却没有出境机制：请将 "
                "transfer_mechanism 设为 security_assessment（自 1 月 1 日起累计一万人以上，或人数不明），或 "
                "standard_contract / certification（不足一万人），并设 transfer_mechanism_ref",
            )
        elif needs_assessment and mechanism != "security_assessment":
            counted = "the count is not given" if band is None else f"{band:,} people since 1 January"
            yield Violation(
                f"{where}.transfer_mechanism",
                f"{counted}: facial information (sensitive) of 10,000 or more people, or an unknown number, needs a "
                f"CAC security assessment, not {mechanism}; set {where}.individuals if fewer, or obtain the assessment",
                zh=("未给出人数" if band is None else f"自 1 月 1 日起 {band:,} 人")
                + f"：一万人以上或人数不明的人脸信息（敏感个人信息）出境须通过网信部门安全评估，而非 {mechanism}；"
                f"如不足一万人请设 {where}.individuals，否则请取得安全评估",
            )
        if mechanism is not None and not stated(recipient.transfer_mechanism_ref):
            yield Violation(
                f"{where}.transfer_mechanism_ref",
                f"name the {mechanism.replace('_', ' ')} (filing number, certificate or decision) in "
                f"{where}.transfer_mechanism_ref",
                zh=f"请在 {where}.transfer_mechanism_ref 中载明 {mechanism} 的备案编号、证书或决定",
            )


def foreign_recipient_notice(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-39: the notice names each foreign recipient and how to exercise rights against it; separate consent."""
    for i, recipient in enumerate(spec.recipients):
        if not recipient.abroad:
            continue
        where = f"recipients[{i}]"
        for key in ("name", "contact", "purpose", "method", "rights_procedure"):
            if not stated(getattr(recipient, key)):
                yield Violation(
                    f"{where}.{key}",
                    f"the notice must give the foreign recipient's {key.replace('_', ' ')}: set {where}.{key}",
                    zh=f"告知书须载明境外接收方的 {key}：请设 {where}.{key}",
                )
        if not recipient.cross_border_consent:
            yield Violation(
                f"{where}.cross_border_consent",
                f"providing facial data to {recipient.name or 'a recipient'} abroad needs each subject's separate "
                f"consent to the transfer: set {where}.cross_border_consent: true (the gate then asks each subject "
                "for a separate cross_border consent before enrolling)",
                zh=f"向境外的{recipient.name or '接收方'}提供人脸信息须取得每个人对出境的单独同意：请设 "
                f"{where}.cross_border_consent: true（门控随即在录入前征求每个人单独的 cross_border 同意）",
            )


def ciio_localisation(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-40: a CIIO transfers personal information abroad only after a security assessment."""
    if not spec.ciio:
        return
    for i, recipient in enumerate(spec.recipients):
        if recipient.abroad and recipient.transfer_mechanism != "security_assessment":
            yield Violation(
                f"recipients[{i}].transfer_mechanism",
                "a critical information infrastructure operator stores personal information in China and transfers "
                "it abroad only after a CAC security assessment: set transfer_mechanism: security_assessment",
                zh="关键信息基础设施运营者应将个人信息存储在境内，经网信部门安全评估后方可向境外提供：请设 "
                "transfer_mechanism: security_assessment",
            )


def cross_border_assessment(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-55-4: the impact assessment covers providing facial data abroad."""
    if not any(r.abroad for r in spec.recipients):
        return
    pia = spec.impact_assessment
    if pia is None or not stated(pia.cross_border):
        yield Violation(
            "impact_assessment.cross_border",
            "facial data is provided abroad but the impact assessment does not assess it: add "
            "impact_assessment.cross_border (the recipient's protection, the legal environment, the risks to "
            "individuals and how they exercise their rights)",
            zh="人脸信息向境外提供，但影响评估未对此进行评估：请添加 impact_assessment.cross_border（接收方的保护水平、"
            "法律环境、对个人的风险及个人如何行使权利）",
        )


def residents_alternative(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """SPC21-10: residents may demand a non-facial way in and out."""
    if facts.premises(spec) == "residential_property" and not spec.alternatives:
        yield Violation(
            "alternatives",
            "residents may demand a way in that does not use their face: offer an access card, PIN or staff check "
            "in alternatives (a sole-method provision does not remove this)",
            zh="业主可要求提供不使用人脸的出入方式：请在 alternatives 中提供门禁卡、PIN 或人工核验"
            "（规定人脸为唯一方式的条款也不能免除此项）",
        )


def consent_terms(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """SPC21-11: no irrevocable, unlimited or freely sub-licensable rights over facial data."""
    text = spec.notice.consent_text or ""
    match = UNFAIR_TERMS.search(text)
    if match:
        yield Violation(
            "notice.consent_text",
            f"the consent text grants {match.group(0)!r} rights over facial data, which courts may void; make consent "
            "revocable, time-limited and not sub-licensable",
            zh=f"同意文本授予了对人脸信息的 {match.group(0)!r} 权利，法院可能认定无效；"
            "请使同意可撤回、有期限且不可转授权",
        )


def template_only(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """GB/T 41819: keep templates only; delete images after matching unless authorised in writing."""
    if spec.storage.raw_images != "discard":
        yield Violation(
            "storage.raw_images",
            "the recommended standard keeps templates only and deletes images after matching: set raw_images: "
            "discard unless written authorisation is recorded",
            zh="推荐性标准只保存模板、比对后删除图像：除非记录了书面授权，请设 raw_images: discard",
        )


RULES: tuple[Rule, ...] = (
    Rule("PIPL-13", "Lawful bases; a basis other than consent names its law or contract", "BLOCK", "C", PRC,
         check=legal_basis_ref, enforced_at=("gate",)),
    Rule("PIPL-14", "Informed, voluntary, explicit consent; re-consent on change", "BLOCK", "C", PRC,
         via=("CN25-6e",)),
    Rule("PIPL-15", "Convenient withdrawal", "BLOCK", "C", PRC, via=("CN25-6c",)),
    Rule("PIPL-16", "No refusing service over withheld consent unless necessary", "BLOCK", "C", PRC,
         via=("CN25-10a", "CN25-12c")),
    Rule("PIPL-17", "Notice contents; changes notified", "BLOCK", "C", PRC, via=("CN25-5a", "CN25-5c")),
    Rule("PIPL-19", "Shortest necessary retention", "BLOCK", "C", PRC, via=("CN25-8c",)),
    Rule("PIPL-18", "Notice omitted only where a law exempts it (evidenced, §4.8)", "BLOCK", "S", PRC,
         check=notice_exemption, enforced_at=("gate",)),
    Rule("PIPL-23", "Providing to another handler: notify recipient, separate consent", "BLOCK", "C", PRC,
         check=recipients),
    Rule("PIPL-24", "Automated decisions: transparency, right to refuse", "WARN", "C", PRC, enforced_at=("gate",)),
    Rule("PIPL-38", "Transfer abroad only with a security assessment, certification or standard contract", "BLOCK",
         "S", PRC, check=transfer_mechanism, note="S (PIPL); C (volume bands, 2024 CAC provisions)"),
    Rule("PIPL-39", "Foreign recipient named in the notice; separate consent to the transfer", "BLOCK", "S", PRC,
         check=foreign_recipient_notice, enforced_at=("gate",)),
    Rule("PIPL-40", "CIIOs transfer abroad only after a security assessment", "BLOCK", "S", PRC,
         check=ciio_localisation),
    Rule("PIPL-48", "A person may ask for the processing rules to be explained", "WARN", "S", PRC,
         check=explanation),
    Rule("PIPL-55-4", "Impact assessment before providing personal information abroad", "BLOCK", "S", PRC,
         check=cross_border_assessment),
    Rule("PIPL-26", "Public places: public security only unless separate consent", "BLOCK", "C", PRC,
         via=("CN25-13b", "CN25-13c")),
    Rule("PIPL-28", "Biometrics and under-14s' data are sensitive", "BLOCK", "C", PRC, enforced_at=("vault",)),
    Rule("PIPL-29", "Separate consent for sensitive PI; written where required", "BLOCK", "C", PRC,
         via=("CN25-6a/b",)),
    Rule("PIPL-30", "Notify necessity and rights impact", "BLOCK", "C", PRC, via=("CN25-5a",)),
    Rule("PIPL-31", "Under 14: guardian consent, special rules", "BLOCK", "C", PRC, via=("CN25-7a/b", "CN25-7c")),
    Rule("PIPL-47", "Delete when purpose met, consent withdrawn or retention expired", "BLOCK", "C", PRC,
         via=("CN25-6d", "CN25-8c")),
    Rule("PIPL-51", "Internal rules, encryption, permissions, incident plans", "BLOCK", "C", PRC,
         via=("CN25-14a–d",)),
    Rule("PIPL-55/56", "Impact assessment triggers and content; kept 3 years", "BLOCK", "C", PRC,
         via=("CN25-9a/b", "CN25-9c")),
    Rule("CC-201", "A period in days counts from the day after the trigger (filing due dates)", "INFO", "S", PRC,
         enforced_at=("oversight",)),
    Rule("PIPL-62", "Basis of the CAC's FR rules", "INFO", "C", PRC, enforced_at=("policy",)),
    Rule("PIPL-66", "Fines", "INFO", "C", PRC, enforced_at=("oversight",)),
    Rule("NDSR-20", "Convenient complaint and reporting channels", "WARN", "C", PRC, via=("CN25-16–18",)),
    Rule("NDSR-21", "Processing rules: retention, expiry, rights procedures, under-14 rules", "BLOCK", "C", PRC,
         via=("CN25-5a",)),
    Rule("NDSR-22", "No coercion; separate consent; no frequent re-asking; re-consent on change", "BLOCK", "C", PRC,
         via=("CN25-6a/b", "CN25-6e", "CN25-12b")),
    Rule("NDSR-24", "Delete or anonymise on account cancellation", "BLOCK", "C", PRC, enforced_at=("vault",)),
    Rule("SPC21-2", "Infringing FR uses at hotels, malls, banks, stations, airports, venues", "INFO", "C", PRC,
         enforced_at=("audit",)),
    Rule("SPC21-4", "Consent invalid if a condition of service, bundled or coerced", "BLOCK", "C", PRC,
         via=("CN25-6a/b", "CN25-12c")),
    Rule("SPC21-10", "Residents may demand a non-facial entry alternative", "BLOCK", "C", PRC,
         check=residents_alternative, enforced_at=("gate",)),
    Rule("SPC21-11", "No unlimited, irrevocable or sub-licensable rights over facial data", "WARN", "C", PRC,
         check=consent_terms),
    Rule("GBT41819", "Recommended standard: template only, delete images after matching", "WARN", "S", PRC,
         check=template_only, note="Structure C; draft S; final clauses U"),
)  # fmt: skip
