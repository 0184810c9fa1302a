"""The rules of the Illinois Biometric Information Privacy Act (profile bipa)."""

from collections.abc import Iterator

from facegate.policy.answers import stated
from facegate.policy.rule import CheckContext, Rule, Violation
from facegate.policy.spec import Deployment

BIPA = ("bipa",)
DAYS_PER_YEAR = 365


def retention_schedule(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """BIPA-15a: a public written retention schedule; destroy within 3 years of the last interaction."""
    if not stated(spec.notice.public_retention_schedule):
        yield Violation(
            "notice.public_retention_schedule",
            "publish a written retention and destruction schedule and set notice.public_retention_schedule to where "
            "it is",
            zh="请公布书面的保存和销毁时间表，并将 notice.public_retention_schedule 设为其所在位置",
        )
    years = ctx.profile.numbers["destroy_within_years_of_last_interaction"]
    limit = years * DAYS_PER_YEAR
    days = spec.storage.retention_days
    if days is None:
        yield Violation(
            "storage.retention_days", f"set storage.retention_days to at most {limit} ({years} years)",
            zh=f"请将 storage.retention_days 设为不超过 {limit}（{years} 年）",
        )  # fmt: skip
    elif days > limit:
        yield Violation(
            "storage.retention_days",
            f"retention_days {days} exceeds {years} years after the last interaction: set it to {limit} or fewer",
            zh=f"retention_days {days} 超过最后一次互动后 {years} 年：请设为 {limit} 或更少",
        )


def written_notice(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """BIPA-15b1/b2: written notice of collection, the specific purpose and the length of term."""
    if not stated(spec.purpose.description):
        yield Violation(
            "purpose.description", "the written notice must state the specific purpose", zh="书面告知须载明具体目的"
        )
    if spec.storage.retention_days is None:
        yield Violation(
            "storage.retention_days", "the written notice must state the length of term", zh="书面告知须载明保存期限"
        )


def written_release(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """BIPA-15b3: a written release from the subject or their legally authorised representative."""
    if spec.legal_basis != "written_consent":
        yield Violation(
            "legal_basis",
            f"BIPA needs a written release before capture, not {spec.legal_basis}: set legal_basis: written_consent",
            zh=f"BIPA 要求采集前取得书面授权，而非 {spec.legal_basis}：请设 legal_basis: written_consent",
            questions=("Q16",),
        )


def no_profit(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """BIPA-15c: no selling, leasing, trading or otherwise profiting from biometric data."""
    for i, recipient in enumerate(spec.recipients):
        if recipient.commercial:
            yield Violation(
                f"recipients[{i}].commercial",
                f"biometric data must not be sold, leased or traded: stop the commercial provision to "
                f"{recipient.name or 'this recipient'}",
                zh=f"生物识别数据不得出售、出租或交易：请停止向{recipient.name or '该接收方'}的商业性提供",
            )


def disclosure(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """BIPA-15d: no disclosure without consent or a statutory exception."""
    for i, recipient in enumerate(spec.recipients):
        if not recipient.separate_consent and not stated(spec.legal_basis_ref):
            yield Violation(
                f"recipients[{i}].separate_consent",
                f"disclosing biometric data to {recipient.name or 'this recipient'} needs the subject's consent: set "
                "separate_consent: true, or cite the statutory exception in legal_basis_ref",
                zh=f"向{recipient.name or '该接收方'}披露生物识别数据须取得本人同意：请设 separate_consent: true，"
                "或在 legal_basis_ref 中引用法定例外",
            )


RULES: tuple[Rule, ...] = (
    Rule("BIPA-DEF", "Biometric identifiers include face geometry, not photographs", "INFO", "S", BIPA,
         enforced_at=("policy",)),
    Rule("BIPA-15a", "Public retention schedule; destroy within 3 years of last interaction", "BLOCK", "C", BIPA,
         check=retention_schedule, enforced_at=("vault",)),
    Rule("BIPA-15b1/b2", "Written notice of collection, purpose and length of term", "BLOCK", "C", BIPA,
         check=written_notice),
    Rule("BIPA-15b3", "Written release", "BLOCK", "C", BIPA, check=written_release, enforced_at=("gate",),
         questions=("Q16",)),
    Rule("BIPA-15c", "No selling, leasing, trading or profiting", "BLOCK", "C", BIPA, check=no_profit,
         enforced_at=("gate",)),
    Rule("BIPA-15d", "No disclosure without consent", "BLOCK", "C", BIPA, check=disclosure, enforced_at=("gate",),
         note="C (exceptions U)"),
    Rule("BIPA-15e", "Reasonable standard of care", "WARN", "U", BIPA, via=("CN25-14a–d",)),
    Rule("BIPA-20", "Private right of action: USD 1,000 / 5,000 per violation", "INFO", "S", BIPA,
         enforced_at=("oversight",), questions=("Q17",)),
)  # fmt: skip
