"""The EU AI Act's Article 5 and the GDPR's rules on biometric data (profile eu-ai-act)."""

from collections.abc import Iterator

from facegate.policy import facts
from facegate.policy.answers import stated
from facegate.policy.profiles import INFERENCE_EXCEPTIONS, INFERENCE_LISTS
from facegate.policy.rule import CheckContext, Rule, Violation
from facegate.policy.spec import Deployment
from facegate.policy.vocabulary import labels

EU = ("eu-ai-act",)


def gallery(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """EUAI-5-1e: no FR database built by untargeted scraping of the internet or CCTV."""
    source = spec.gallery.source
    if source in ("internet_scrape", "cctv_footage"):
        yield Violation(
            "gallery.source",
            f"a face database built from {source.replace('_', ' ')} is prohibited: enrol people individually "
            "(gallery.source: enrollment)",
            zh=f"以 {source} 方式建立人脸数据库属于禁止行为：请逐一录入（gallery.source: enrollment）",
        )
    elif source == "import" and not stated(spec.gallery.provenance_ref):
        yield Violation(
            "gallery.provenance_ref",
            "an imported gallery needs its provenance (who enrolled whom, on what basis): set gallery.provenance_ref",
            zh="导入的人脸库须载明来源（由谁、依据什么录入了谁）：请设 gallery.provenance_ref",
        )


def emotion(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """EUAI-5-1f: no emotion recognition at work or in education, except for medical or safety reasons."""
    found = [a for a in facts.analyses(spec) if a in INFERENCE_LISTS["eu_art5_1f"]]
    if found and not facts.exception_recorded(spec, INFERENCE_EXCEPTIONS["eu_art5_1f"]):
        place = "at work" if found[0] == "emotion_workplace" else "in education"
        place_zh = "工作场所" if found[0] == "emotion_workplace" else "教育机构"
        yield Violation(
            "analyses",
            f"emotion recognition {place} is prohibited: remove it from analyses (only a medical or safety reason, "
            "recorded in analysis_exception, is an exception)",
            zh=f"禁止在{place_zh}进行情绪识别：请从 analyses 中删除"
            "（只有记录在 analysis_exception 中的医疗或安全理由可作例外）",
        )


def categorisation(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """EUAI-5-1g: no biometric categorisation deducing race, politics, union membership, beliefs, sex life."""
    found = [a for a in facts.analyses(spec) if a in INFERENCE_LISTS["eu_art5_1g"]]
    if found:
        yield Violation(
            "analyses",
            f"biometric categorisation by {', '.join(found)} is prohibited: remove it from analyses",
            zh=f"禁止按 {', '.join(found)} 进行生物特征分类：请从 analyses 中删除",
        )


def real_time_identification(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """EUAI-5-1h: real-time remote identification in public for law enforcement only under narrow exceptions."""
    if not (
        spec.modality == "identification"
        and spec.capture == "passive"
        and facts.public_place(spec)
        and spec.purpose.category == "public_security"
    ):
        return
    exception = spec.law_enforcement_exception
    if exception is None:
        yield Violation(
            "law_enforcement_exception",
            "real-time remote identification in public for law enforcement needs one of the Art. 5(1)(h) grounds: "
            "record it in law_enforcement_exception, or stop",
            zh="为执法目的在公共场所进行实时远程识别，须具备第 5(1)(h) 条所列理由之一："
            "请记录在 law_enforcement_exception 中，或停止",
        )
        return
    minimum = ctx.profile.numbers["rbi_exception_offence_max_sentence_years"]["value"]
    years = exception.offence_max_sentence_years
    if exception.ground == "serious_offence_suspect" and (years is None or years < minimum):
        yield Violation(
            "law_enforcement_exception.offence_max_sentence_years",
            f"searching for a suspect is allowed only for offences punishable by at least {minimum} years: record "
            "the offence's maximum sentence (or stop)",
            zh=f"仅可为最高刑期不少于 {minimum} 年的犯罪搜寻嫌疑人：请记录该罪的最高刑期（或停止）",
        )


def art5_date(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """EUAI-5-DATE: Article 5 applies from 2025-02-02."""
    start = ctx.profile.numbers["art5_apply_from"]
    if ctx.today < start:
        yield Violation(
            None, f"Article 5 applies from {start}; today ({ctx.today}) it does not yet apply",
            zh=f"第 5 条自 {start} 起适用；今天（{ctx.today}）尚未适用",
        )  # fmt: skip


def transparency(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """EUAI-50: people exposed to emotion recognition or biometric categorisation (any analysis) are told so."""
    found = facts.analyses(spec)
    if found:
        yield Violation(
            "analyses",
            f"people exposed to {', '.join(found)} must be told (Art. 50), and the system may be high-risk "
            "(Art. 15, 27, 49): say so in the notice and the impact assessment",
            zh=f"须告知受{labels(found)}影响的人（第 50 条），且该系统可能属于高风险"
            "（第 15、27、49 条）：请在告知书和影响评估中载明",
        )


def art9_basis(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """GDPR-9-1: biometric identification needs an Art. 9(2) exception (e.g. explicit consent)."""
    if spec.legal_basis == "contract":
        yield Violation(
            "legal_basis",
            "a contract is not an Art. 9(2) exception for biometric data: use explicit consent (separate_consent or "
            "written_consent), or a statutory basis with legal_basis_ref",
            zh="合同不是第 9(2) 条规定的生物识别数据例外：请使用明示同意（设 legal_basis: separate_consent 或 "
            "legal_basis: written_consent），"
            "或附 legal_basis_ref 的法定依据",
        )
    elif spec.legal_basis == "statutory" and not stated(spec.legal_basis_ref):
        yield Violation(
            "legal_basis_ref", "name the Union or member-state law (Art. 9(2)(b), (g)) in legal_basis_ref",
            zh="请在 legal_basis_ref 中载明欧盟或成员国法律（第 9(2)(b)、(g) 条）",
        )  # fmt: skip
    if spec.consent_based and spec.capture == "passive" and facts.public_place(spec):
        yield Violation(
            "capture",
            "explicit consent cannot cover passers-by whose faces a passive camera in a public place also processes: "
            "set capture: active (only people who enrolled present their face), or stop",
            zh="明示同意无法涵盖公共场所无感摄像头同时处理其面部的路人："
            "请设 capture: active（只有已录入者出示面部），或停止",
        )


def gdpr_duties(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """GDPR-5/8/13/32/35: storage limitation and children's consent age."""
    if spec.storage.retention_days is None:
        yield Violation(
            "storage.retention_days", "storage limitation: set storage.retention_days",
            zh="存储限制：请设 storage.retention_days",
        )  # fmt: skip
    if spec.minors.expected:
        gdpr = ctx.profile.numbers["gdpr"]
        yield Violation(
            "minors.expected",
            f"children under {gdpr['child_consent_age_default']} (as low as {gdpr['child_consent_age_min']} where the "
            "member state says so) need a holder of parental responsibility to consent",
            zh=f"未满 {gdpr['child_consent_age_default']} 岁的儿童"
            f"（成员国规定时可低至 {gdpr['child_consent_age_min']} 岁）"
            "须由负有父母责任者同意",
        )


RULES: tuple[Rule, ...] = (
    Rule("EUAI-5-1e", "No FR databases from untargeted scraping", "BLOCK", "C", EU, check=gallery,
         enforced_at=("vault",)),
    Rule("EUAI-5-1f", "No emotion recognition at work or in education", "BLOCK", "C", EU, check=emotion,
         enforced_at=("gate",)),
    Rule("EUAI-5-1g", "No biometric categorisation by sensitive traits", "BLOCK", "C", EU, check=categorisation,
         enforced_at=("gate",)),
    Rule("EUAI-5-1h", "Real-time remote identification in public for law enforcement only by exception", "BLOCK",
         "C", EU, check=real_time_identification, enforced_at=("gate",)),
    Rule("EUAI-5-DATE", "Article 5 applies from 2025-02-02", "INFO", "C", EU, check=art5_date),
    Rule("EUAI-PEN", "Art. 5 fines up to EUR 35 m or 7% of turnover", "INFO", "S", EU, enforced_at=("oversight",)),
    Rule("EUAI-15/27/49/50", "High-risk duties; fundamental-rights assessment; registration; transparency", "WARN",
         "U", EU, check=transparency, enforced_at=("oversight",)),
    Rule("GDPR-4-14", "Facial images are biometric data", "INFO", "C", EU, enforced_at=("policy",)),
    Rule("GDPR-9-1", "Biometric identification only under an Art. 9(2) exception", "BLOCK", "C", EU,
         check=art9_basis, enforced_at=("gate",)),
    Rule("GDPR-9-INF", "Inferring special categories is Art. 9 processing", "BLOCK", "U", EU, via=("EUAI-5-1g",)),
    Rule("GDPR-5/8/13/32/35", "Storage limitation, child consent, information, security, DPIA", "WARN", "U", EU,
         check=gdpr_duties),
    Rule("GDPR-83", "Fines up to EUR 20 m or 4% of turnover", "INFO", "U", EU, enforced_at=("oversight",)),
)  # fmt: skip
