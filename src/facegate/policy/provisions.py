"""The registry of provisions shipped with facegate (regulation.md §4.8): which law supports which claim, in what scope.

A spec's claim of a statutory basis, a sole-method provision, a public-security purpose, raw images kept by law or an
exemption from notice is supported only by an entry here whose scope covers it, or by a reviewer's attestation.
"""

import re
from dataclasses import dataclass

CLAIMS: tuple[str, ...] = (
    "statutory_basis", "sole_method", "public_security", "raw_images_by_law", "notice_exemption",
)  # fmt: skip


@dataclass(frozen=True)
class Provision:
    """One provision: instrument, article, the claims it supports, its scope, confidence status and source."""

    id: str
    instrument_zh: str
    instrument_en: str
    article: str
    summary: str
    supports: tuple[str, ...]
    status: str
    source: str
    patterns: tuple[str, ...]
    handler_kinds: tuple[str, ...] = ()  # empty: any handler
    purposes: tuple[str, ...] = ()  # empty: any purpose
    identity_documents_only: bool = False  # requires checking identity, not face recognition (§4.8)

    @property
    def citation(self) -> str:
        """The provision as a filing would cite it, in Chinese and English."""
        return f"《{self.instrument_zh}》{self.article_zh} / {self.instrument_en}, {self.article}"

    @property
    def article_zh(self) -> str:
        """The article in Chinese numbering style."""
        number = re.sub(r"\D", "", self.article.split("(")[0])
        return f"第{number}条" if number else self.article

    def covers(self, claim: str, handler_kind: str, purpose: str) -> bool:
        """Whether this provision supports `claim` for this kind of handler and purpose."""
        return (
            claim in self.supports
            and (not self.handler_kinds or handler_kind in self.handler_kinds)
            and (not self.purposes or purpose in self.purposes)
        )

    def to_dict(self) -> dict[str, object]:
        """The entry as `facegate provisions --json` and GET /api/v1/provisions show it."""
        return {
            "id": self.id,
            "instrument": {"zh": self.instrument_zh, "en": self.instrument_en},
            "article": self.article,
            "summary": self.summary,
            "supports": list(self.supports),
            "scope": {"handler_kinds": list(self.handler_kinds), "purposes": list(self.purposes)},
            "identity_documents_only": self.identity_documents_only,
            "status": self.status,
            "source": self.source,
        }


PUBLIC_SECURITY_HANDLERS = ("public_security_organ",)
STATE_HANDLERS = ("public_security_organ", "state_organ")

REGISTRY: tuple[Provision, ...] = (
    Provision(
        "PRC-EEAL-7", "中华人民共和国出境入境管理法", "Exit and Entry Administration Law", "Art. 7",
        "With State Council approval, the public security and foreign affairs departments may keep fingerprints and "
        "other biometric information of persons leaving or entering the country.",
        ("statutory_basis", "sole_method", "public_security"), "S",
        "Exit and Entry Administration Law of the PRC (2012), Art. 7 (official text, npc.gov.cn)",
        (r"出境入境管理法.{0,6}(第七条|第7条)", r"exit.{0,5}entry administration law.{0,12}\b7\b"),
        handler_kinds=STATE_HANDLERS, purposes=("identity_verification", "public_security"),
    ),
    Provision(
        "PRC-CPL-132", "中华人民共和国刑事诉讼法", "Criminal Procedure Law", "Art. 132",
        "To ascertain characteristics or physiological states of victims and suspects, investigators may examine "
        "them and collect fingerprint information and biological samples.",
        ("statutory_basis", "public_security", "notice_exemption"), "S",
        "Criminal Procedure Law of the PRC (2018 revision), Art. 132 (official text, npc.gov.cn)",
        (r"刑事诉讼法.{0,6}(第一百三十二条|第132条)", r"criminal procedure law.{0,12}\b132\b"),
        handler_kinds=PUBLIC_SECURITY_HANDLERS, purposes=("public_security",),
    ),
    Provision(
        "PRC-PPL-6", "中华人民共和国人民警察法", "People's Police Law", "Art. 6",
        "Lists the duties of the public security organs' people's police: preventing, stopping and investigating "
        "crime, maintaining public order, managing public security in public places, and others.",
        ("statutory_basis", "public_security"), "S",
        "People's Police Law of the PRC (1995, amended 2012), Art. 6 (official text, npc.gov.cn)",
        (r"人民警察法.{0,6}(第六条|第6条)", r"people.?s police law.{0,12}\b6\b"),
        handler_kinds=PUBLIC_SECURITY_HANDLERS, purposes=("public_security",),
    ),
    Provision(
        "PRC-PIPL-35", "中华人民共和国个人信息保护法", "Personal Information Protection Law", "Art. 35",
        "State organs processing personal information for their statutory duties notify individuals, except where "
        "Art. 18(1) applies or notice would impede the performance of those duties.",
        ("notice_exemption",), "C",
        "Personal Information Protection Law of the PRC (2021), Art. 35 (official text, npc.gov.cn)",
        (r"个人信息保护法.{0,6}(第三十五条|第35条)", r"(pipl|personal information protection law).{0,12}\b35\b"),
        handler_kinds=STATE_HANDLERS,
    ),
    Provision(
        "PRC-PSVIS-2025", "公共安全视频图像信息系统管理条例", "Regulations on Public Security Video Image Information "
        "Systems", "whole instrument",
        "Governs video image systems built in public places for public security, and forbids them in hotel rooms, "
        "public bathhouses, changing rooms, toilets and other private spaces.",
        ("statutory_basis", "public_security"), "U",
        "State Council regulation in force 2025-04-01 (title and articles U; regulation.md §5.1)",
        (r"公共安全视频图像信息系统管理条例", r"public security video image information system"),
        handler_kinds=STATE_HANDLERS, purposes=("public_security",),
    ),
    Provision(
        "PRC-ATL-21", "中华人民共和国反恐怖主义法", "Anti-Terrorism Law", "Art. 21",
        "Telecommunications, Internet, financial, lodging, long-distance passenger transport and vehicle rental "
        "operators verify customers' identity; it requires checking identity, not face recognition.",
        (), "S", "Anti-Terrorism Law of the PRC (2015, amended 2018), Art. 21 (official text, npc.gov.cn)",
        (r"反恐怖主义法.{0,6}(第二十一条|第21条)", r"anti.?terroris\w* law.{0,12}\b21\b"),
        identity_documents_only=True,
    ),
    Provision(
        "PRC-HOTEL-6", "旅馆业治安管理办法", "Measures for the Public Security Administration of the Hotel Industry",
        "Art. 6",
        "Hotels register guests against a valid identity document; it requires checking identity documents, not "
        "face recognition.",
        (), "S", "Measures for the Public Security Administration of the Hotel Industry (1987, revised), Art. 6",
        (
            r"旅馆业治安管理办法", r"hotel industry.{0,40}(public security|administration)",
            r"hotel (guest )?registration",
        ),
        identity_documents_only=True,
    ),
    Provision(
        "PRC-CSL-24", "中华人民共和国网络安全法", "Cybersecurity Law", "Art. 24",
        "Network operators require real identity information when users sign up for network, telephone or "
        "publishing services; it requires real-name identity, not face recognition.",
        (), "C", "Cybersecurity Law of the PRC (2016), Art. 24 (official text, npc.gov.cn)",
        (r"网络安全法.{0,6}(第二十四条|第24条)", r"cybersecurity law.{0,12}\b24\b"),
        identity_documents_only=True,
    ),
    Provision(
        "PRC-RIDL-15", "中华人民共和国居民身份证法", "Resident Identity Card Law", "Art. 15",
        "The people's police may check resident identity cards in the situations listed; it concerns identity "
        "cards, not face recognition.",
        (), "S", "Resident Identity Card Law of the PRC (2011 amendment), Art. 15 (official text, npc.gov.cn)",
        (r"居民身份证法", r"resident identity card law"),
        identity_documents_only=True,
    ),
    Provision(
        "PRC-RAILWAY-REALNAME", "铁路旅客车票实名制管理办法", "Measures on Real-Name Railway Passenger Tickets",
        "whole instrument",
        "Railway tickets are bought and checked against the passenger's identity document; it requires checking "
        "identity documents, not face recognition.",
        (), "U", "Ministry of Transport measures on real-name railway tickets (articles U)",
        (r"车票实名制", r"real.?name.{0,20}(ticket|railway)", r"railway.{0,30}real.?name"),
        identity_documents_only=True,
    ),
    Provision(
        "PRC-PIPL-26", "中华人民共和国个人信息保护法", "Personal Information Protection Law", "Art. 26",
        "Image collection and identification equipment in public places only where public security needs it, under "
        "state rules, with prominent signs; it sets conditions and authorises nothing by itself.",
        (), "C", "Personal Information Protection Law of the PRC (2021), Art. 26 (official text, npc.gov.cn)",
        (r"个人信息保护法.{0,6}(第二十六条|第26条)", r"(pipl|personal information protection law).{0,12}\b26\b"),
    ),
    Provision(
        "PRC-PIPL-13", "中华人民共和国个人信息保护法", "Personal Information Protection Law", "Art. 13",
        "Lists the lawful bases; 'necessary to perform a statutory duty or obligation' needs the law that sets the "
        "duty, which this article does not name.",
        (), "C", "Personal Information Protection Law of the PRC (2021), Art. 13 (official text, npc.gov.cn)",
        (r"个人信息保护法.{0,6}(第十三条|第13条)", r"(pipl|personal information protection law).{0,12}\b13\b"),
    ),
    Provision(
        "PRC-PIPL-18", "中华人民共和国个人信息保护法", "Personal Information Protection Law", "Art. 18",
        "Notice may be omitted where a law or administrative regulation requires confidentiality or says notice is "
        "unnecessary; it names no such law itself.",
        (), "C", "Personal Information Protection Law of the PRC (2021), Art. 18 (official text, npc.gov.cn)",
        (r"个人信息保护法.{0,6}(第十八条|第18条)", r"(pipl|personal information protection law).{0,12}\b18\b"),
    ),
)  # fmt: skip


def cited(text: str | None) -> tuple[Provision, ...]:
    """The registry provisions a free-text reference names, by ID or by instrument and article."""
    if not text:
        return ()
    found = [p for p in REGISTRY if p.id.lower() in text.lower()]
    found += [p for p in REGISTRY if p not in found and any(re.search(r, text, re.IGNORECASE) for r in p.patterns)]
    found += [p for p in REGISTRY if p not in found and _titled(p, text)]
    return tuple(found)


def _titled(provision: Provision, text: str) -> bool:
    """Whether the text names the provision by its own title and article ('Article 6 of the People's Police Law')."""
    number = re.sub(r"\D", "", provision.article.split("(")[0])
    plain = text.replace("\u2019", "'")
    for title in (provision.instrument_en, provision.instrument_zh.removeprefix("中华人民共和国")):
        for match in re.finditer(re.escape(title), plain, re.IGNORECASE):
            after = re.search(r"(?:\bart(?:icle)?s?\.?|第)\s*(\d+)", plain[match.end():match.end() + 60], re.I)
            before = plain[max(0, match.start() - 30):match.start()]
            if number and (
                (after is not None and after.group(1) == number)
                or re.search(rf"\bart(?:icle)?\.?\s*{number}\s+of\s+(?:the\s+)?$", before, re.IGNORECASE)
            ):
                return True
    return False
