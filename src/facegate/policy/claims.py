"""Claims a spec makes that lift a duty (regulation.md §4.8), and the evidence behind each: a registry provision whose
scope covers it, or a reviewer's attestation. Free text proves nothing."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from facegate.policy import retention
from facegate.policy.answers import stated
from facegate.policy.provisions import Provision, cited
from facegate.policy.rule import Violation
from facegate.policy.spec import Attestation, Deployment
from facegate.policy.vocabulary import label

# The attestation claims that support each claim (a public-security purpose: the organ's written commission).
ATTESTABLE: dict[str, tuple[str, ...]] = {
    "statutory_basis": ("statutory_basis",),
    "sole_method": ("sole_method",),
    "public_security": ("public_security", "public_security_commission"),
    "raw_images_by_law": ("raw_images_by_law",),
    "notice_exemption": ("notice_exemption",),
    "retention_by_law": ("retention_by_law",),
    "text_reading": ("text_reading",),
}
ATTESTABLE_CLAIMS: tuple[str, ...] = (*ATTESTABLE, "public_security_commission")
# Words by which an attestation's own text denies the evidence it attests ("no written commission exists").
DENIAL = re.compile(
    r"\b(no|without|lacks?|missing|absent)\b.{0,30}\b(written|commission|provision|document|contract|approval|law|"
    r"agreement|opinion|letter|evidence|basis)|\bnot\b.{0,20}\b(yet )?(signed|issued|approved|obtained|received|"
    r"granted|exist|in force|available|written)|\b(does not|doesn't|did not) exist|\bpending\b|to be (signed|issued|"
    r"obtained|provided|confirmed)|\b(verbal|oral|informal)\b|\bdraft\b|"
    r"无.{0,6}(书面|委托|文件|依据|批复|合同|意见)|未.{0,6}(签|取得|获得|收到|出具|批|生效)|尚未|尚无|暂无|口头|"
    r"待.{0,2}(签|批|补|定|出具)|不存在|草稿|草案",
    re.IGNORECASE,
)
# The rule each claim lifts, cited when the claim is refused.
CLAIM_RULES = {
    "statutory_basis": "PIPL-13", "sole_method": "CN25-10a", "public_security": "CN25-13b",
    "public_security_commission": "CN25-13b", "raw_images_by_law": "CN23-T10", "notice_exemption": "PIPL-18",
    "retention_by_law": "FG-13", "text_reading": "FG-6",
}  # fmt: skip
FIELDS = {
    "retention_by_law": "storage.retention_days",
    "text_reading": "attestations",
    "statutory_basis": "legal_basis_ref",
    "sole_method": "sole_method_ref",
    "public_security": "purpose.category",
    "raw_images_by_law": "storage.raw_images_ref",
    "notice_exemption": "notice.exemption_ref",
}


@dataclass(frozen=True)
class Claim:
    """One claim the spec makes, the text it rests on, and its evidence (a provision or an attestation), if any."""

    name: str
    field: str
    text: str | None
    provision: Provision | None = None
    attestation: Attestation | None = None
    by_handler: bool = False  # a public-security purpose of a public security organ itself

    @property
    def supported(self) -> bool:
        """Whether a registry provision, a reviewer's attestation or the handler's own standing backs the claim."""
        return self.provision is not None or self.attestation is not None or self.by_handler

    @property
    def evidence(self) -> str:
        """The evidence in one line, for documents and findings."""
        if self.provision is not None:
            return f"{self.provision.id}: {self.provision.citation} (status {self.provision.status})"
        if self.by_handler:
            return "the handler is a public security organ"
        if self.attestation is not None:
            a = self.attestation
            return f"attested by {a.reviewer} on {a.attested_on.isoformat()}, relying on {a.document}"
        return "none"


def _text(spec: Deployment, name: str) -> str | None:
    if name == "statutory_basis":
        return spec.legal_basis_ref
    if name == "sole_method":
        return spec.sole_method_ref
    if name == "raw_images_by_law":
        return spec.storage.raw_images_ref or spec.legal_basis_ref
    if name == "notice_exemption":
        return spec.notice.exemption_ref
    if name == "retention_by_law":
        return spec.storage.retention_justification
    if name == "text_reading":
        return None
    return spec.legal_basis_ref


def denies(document: str | None) -> bool:
    """Whether an attestation's text denies the evidence it attests (no written commission, pending, verbal only)."""
    return bool(document and DENIAL.search(document))


def made(spec: Deployment) -> tuple[str, ...]:
    """The names of the claims this spec makes."""
    names = []
    if spec.legal_basis == "statutory":
        names.append("statutory_basis")
    if stated(spec.sole_method_ref):
        names.append("sole_method")
    if spec.purpose.category == "public_security":
        names.append("public_security")
    if spec.storage.raw_images == "retain_by_law":
        names.append("raw_images_by_law")
    if stated(spec.notice.exemption_ref):
        names.append("notice_exemption")
    if retention.over_maximum(spec):
        names.append("retention_by_law")
    if any(a.claim == "text_reading" for a in spec.attestations):
        names.append("text_reading")
    return tuple(names)


def claim(spec: Deployment, name: str) -> Claim:
    """The claim `name` with the evidence the spec offers for it."""
    text = _text(spec, name)
    field = FIELDS[name]
    if name == "public_security":  # §4.8: a public security organ, or an attested commission from one
        if spec.handler.kind == "public_security_organ":
            return Claim(name, field, text, by_handler=True)
    else:
        for provision in cited(text):
            if provision.covers(name, spec.handler.kind, spec.purpose.category):
                return Claim(name, field, text, provision=provision)
    attested = next((a for a in spec.attestations if a.claim in ATTESTABLE[name] and not denies(a.document)), None)
    return Claim(name, field, text, attestation=attested)


def reading_attested(spec: Deployment, field: str) -> Attestation | None:
    """A reviewer's attestation that the words of `field` do not mean what a text-reading finding read (FG-6–11, 14)."""
    return next(
        (a for a in spec.attestations if a.claim == "text_reading" and a.field == field),
        None,
    )


def supported(spec: Deployment, name: str) -> bool:
    """Whether the spec makes claim `name` and backs it with evidence."""
    return name in made(spec) and claim(spec, name).supported


def violations(spec: Deployment, name: str) -> Iterator[Violation]:
    """A BLOCK naming the claim when the spec makes it without evidence (attestations are listed in the documents)."""
    if name not in made(spec):
        return
    found = claim(spec, name)
    if found.supported:
        return
    english, chinese = unsupported(spec, found)
    yield Violation(found.field, english, zh=chinese)


def unsupported(spec: Deployment, found: Claim) -> tuple[str, str]:
    """Why a claim is not supported, and what would support it: in English and in simplified Chinese."""
    what, what_zh = label(found.name, "en"), label(found.name)
    refused = [a for a in spec.attestations if a.claim in ATTESTABLE[found.name] and denies(a.document)]
    if refused:
        return (
            f"unsupported claim of {what}: the attestation by {refused[0].reviewer} denies the evidence it attests "
            f"({refused[0].document!r}); an attestation must rest on a document that exists and is in force",
            f"{what_zh}的主张缺乏证明：{refused[0].reviewer} 的确认否认了其所确认的证据（{refused[0].document!r}）；"
            "确认必须以现存且有效的文件为依据",
        )
    fix = (
        "name a registry provision whose scope covers it (`facegate provisions` lists them), or have a reviewer "
        f"(DPO or counsel) attest it: attestations: [{{claim: {found.name}, reviewer, attested_on, document}}]"
    )
    fix_zh = (
        "请引用适用范围涵盖该主张的登记规定（`facegate provisions` 列出全部），或由审核人（个人信息保护负责人或律师）"
        f"确认：attestations: [{{claim: {found.name}, reviewer, attested_on, document}}]"
    )
    if found.name == "public_security":
        return (
            f"unsupported claim of {what}: {spec.handler.name} is not a public security organ (handler.kind: "
            f"{spec.handler.kind}), and no written commission from one is attested; loss prevention or security by a "
            "private operator is not public security (regulation.md §4.8). Set handler.kind: public_security_organ "
            "if it is one, attest the commission (attestations: [{claim: public_security_commission, reviewer, "
            "attested_on, document}]), or use the purpose it really has",
            f"{what_zh}的主张缺乏证明：{spec.handler.name} 不是公安机关（处理者类型为{label(spec.handler.kind)}），"
            "也没有经确认的公安机关书面委托；私营经营者的防损或安保不是公共安全（regulation.md §4.8）。如确为公安机关，"
            "请设 handler.kind: public_security_organ；或确认该委托（attestations: [{claim: "
            "public_security_commission, reviewer, attested_on, document}]）；或使用其真实目的",
        )
    provisions = cited(found.text)
    said = f"{found.field} {found.text!r}" if found.text else f"{found.field} is empty"
    said_zh = f"{found.field} {found.text!r}" if found.text else f"{found.field} 为空"
    if any(p.identity_documents_only for p in provisions):
        names = "; ".join(p.citation for p in provisions if p.identity_documents_only)
        return (
            f"unsupported claim of {what}: {said} cites {names}, which requires checking identity documents, not "
            f"face recognition; offer the document check as the alternative, or {fix}",
            f"{what_zh}的主张缺乏证明：{said_zh} 引用了 {names}，该规定要求查验身份证件，而非人脸识别；请以查验证件"
            f"作为替代方式，或{fix_zh}",
        )
    if provisions:
        names = "; ".join(f"{p.id} ({', '.join(p.supports) or 'no claim'})" for p in provisions)
        return (
            f"unsupported claim of {what}: {said} names {names}, whose scope does not cover {found.name} for "
            "handler.kind "
            f"{spec.handler.kind} with purpose {spec.purpose.category}; {fix}",
            f"{what_zh}的主张缺乏证明：{said_zh} 引用了 {names}，其适用范围不涵盖处理者类型为"
            f"{label(spec.handler.kind)}、目的为{label(spec.purpose.category)}的“{label(found.name)}”；{fix_zh}",
        )
    return (
        f"unsupported claim of {what}: {said} is not a provision in facegate's registry; {fix}",
        f"{what_zh}的主张缺乏证明：{said_zh} 不是 facegate 登记的规定；{fix_zh}",
    )
