"""facegate's policies that read the whole spec (FG-6 to FG-14): the spec's own words agree with its tokens, decisive
facts are stated rather than assumed, and retention stays within a maximum per purpose.

A spec says most facts twice, once as a token and once in its own words. Where the words state a restricted fact the
token does not (a changing room behind location.type: entrance, children behind minors.expected: false), the finding
names the field, the words and the token. It blocks until the spec is fixed, or a reviewer attests that the words do
not mean that (attestations: [{claim: text_reading, field, reviewer, attested_on, document}], recorded in the audit
log by a reviewer key before activation).
"""

import re
from collections.abc import Callable, Iterator

from facegate.policy import claims, facts, reading, retention
from facegate.policy.answers import stated, zero
from facegate.policy.profiles import INFERENCE_EXCEPTIONS, INFERENCE_LISTS, lineage
from facegate.policy.reading import Mention
from facegate.policy.rule import CheckContext, Rule, Violation
from facegate.policy.spec import Deployment
from facegate.policy.terms import ALTERNATIVES
from facegate.policy.vocabulary import label

CN = ("cn2025",)
_DRAFT_ART11 = INFERENCE_LISTS["cn_draft_art11"]  # what CN23-11 names, cited with CN25-3 under the draft
WAIT_LIMIT_MINUTES = 10  # an alternative that makes people wait longer than this is a burden (CN25-10c, Q12)
_PIA = ("lawfulness_necessity", "rights_impact", "security_risks", "protection_measures", "conclusion", "method",
        "cross_border")  # fmt: skip
_NOTICE = ("rights_impact", "rights_exercise_procedure", "retention_expiry_handling", "other_legal_matters",
           "consent_text")  # fmt: skip
_RECIPIENT = ("name", "contact", "purpose", "method", "rights_procedure")
_HOSTING = re.compile(
    r"stor|host|server|cloud|backup|data cent|region|transfer|sync|replicat|sent to|provided to|"
    r"存储|存放|托管|服务器|云|备份|机房|数据中心|传输|同步|发送|提供给|出境",
    re.IGNORECASE,
)


def texts(spec: Deployment) -> Iterator[tuple[str, str]]:
    """Every free-text field of the spec as (field, text), the Chinese of bilingual fields included."""
    fields: list[tuple[str, str | None]] = [
        ("name", spec.name),
        ("purpose.description", spec.purpose.description),
        ("purpose.necessity", spec.purpose.necessity),
        ("purpose.least_impact", spec.purpose.least_impact),
        ("purpose.alternatives_analysis", spec.purpose.alternatives_analysis),
        ("location.collection_area", spec.location.collection_area),
        ("storage.retention_justification", spec.storage.retention_justification),
        ("storage.retention_determination_method", spec.storage.retention_determination_method),
    ]
    fields += [(f"notice.{k}", getattr(spec.notice, k)) for k in _NOTICE]
    if spec.impact_assessment is not None:
        fields += [(f"impact_assessment.{k}", getattr(spec.impact_assessment, k)) for k in _PIA]
    fields += [(f"alternatives[{m}].note", t.note) for m, t in spec.alternative_terms.items()]
    for i, r in enumerate(spec.recipients):
        fields += [(f"recipients[{i}].{k}", getattr(r, k)) for k in _RECIPIENT]
    seen = {path for path, _ in fields}
    fields += [(path, zh) for path, zh in spec.translations.items() if path in seen]
    for path, text in fields:
        if text and stated(text):
            yield path, text


def _read(
    spec: Deployment, find: Callable[[str], list[Mention]], only: Callable[[str], bool] = lambda field: True
) -> Iterator[tuple[str, Mention]]:
    for path, text in texts(spec):
        if not only(path) or claims.reading_attested(spec, path) is not None:
            continue
        for clause in reading.clauses(text):
            for mention in find(clause):
                yield path, mention


def ask(field: str) -> str:
    """The end of a word-reading finding: fix the words or the token, or have a reviewer attest the reading."""
    return (
        f"correct the words or the token; if the words do not mean that, a reviewer attests it (attestations: "
        f"[{{claim: text_reading, field: {field}, reviewer, attested_on, document: the reason}}]) "
    )


def _policy(rule_id: str, serves: str, setting: str) -> str:
    return f"(facegate policy {rule_id}, serving {serves}; setting {setting} turns it off with a justification)"


TERMS_ZH = {"fee": "费用", "wait": "等待时间"}


def _policy_zh(rule_id: str, serves: str, setting: str) -> str:
    return f"（facegate 政策 {rule_id}，服务于 {serves}；可通过设置 {setting} 并附理由关闭）"


def _read_by(rule_id: str) -> str:
    return (
        f"(the law cited; read in the words by facegate policy {rule_id}; setting fg.text_reading turns the reading "
        "off with a justification)"
    )


def _read_by_zh(rule_id: str) -> str:
    return f"（所引为法律规定；由 facegate 政策 {rule_id} 从文字中读出；可通过设置 fg.text_reading 并附理由关闭此读法）"


def ask_zh(field: str) -> str:
    """`ask` in Chinese."""
    return (
        "请更正文字或取值；如文字并非此意，由审核人确认（attestations: "
        f"[{{claim: text_reading, field: {field}, reviewer, attested_on, document: 理由}}]）"
    )


def private_place_in_text(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """FG-6: the words put a device in a private space (§5.1) that location.type does not name."""
    if facts.private_space(spec, ctx.location_blocklist) is not None or not ctx.settings.get("fg.text_reading"):
        return
    blocklist = ctx.location_blocklist

    def barred(value: str) -> bool:
        return value in blocklist or (value in facts.PRIVATE_SPACES and "other_private_space" in blocklist)

    def placed(clause: str) -> list[Mention]:
        return [m for m in reading.private_places(clause) if barred(m.names)]

    reported: set[str] = set()
    for path, text in texts(spec):
        if path in reported or claims.reading_attested(spec, path) is not None:
            continue
        where = path.startswith("location.") or path == "name"
        for clause in reading.clauses(text):
            if not where and not reading.PLACEMENT.search(clause):
                continue
            for m in placed(clause):
                reported.add(path)
                yield Violation(
                    path,
                    f"{path} says {m.words!r} ({label(m.names, 'both')}, a private space where CN25-13a allows no "
                    f"face recognition device), but location.type is {spec.location.type or 'not given'}; "
                    f"{ask(path)}{_read_by('FG-6')}",
                    zh=f"{path} 写有 {m.words!r}（{label(m.names)}，属于 CN25-13a 规定不得安装人脸识别设备的私密"
                    f"空间），但 location.type 为 {spec.location.type or '未载明'}；{ask_zh(path)}"
                    + _read_by_zh("FG-6"),
                    law=("CN25-13a",),
                )
                break
            if path in reported:
                break


def minors_in_text(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """FG-7: the words or figures count under-14s among the people while the spec says none are expected."""
    if not ctx.settings.get("fg.text_reading"):
        return
    m = spec.minors
    token = f"minors.expected is {str(m.expected).lower()}"
    token_zh = f"minors.expected 为 {str(m.expected).lower()}"
    if not m.expected and facts.minors_stated(spec):
        said = f"share {m.share:.0%}" if m.share else f"age_floor {m.age_floor}"
        yield Violation(
            "minors.expected",
            f"minors.{said} puts under-14s among the people, but {token}; set minors.expected: true and meet the "
            f"rules for under-14s, or correct the figure {_policy('FG-7', 'CN25-7c and PIPL-31', 'fg.text_reading')}",
            zh=f"minors.{said} 表明人员中有不满十四周岁者，但 minors.expected 为 false；"
            "请设 minors.expected: true 并遵守不满十四周岁者的规则，或更正该数字"
            f"{_policy_zh('FG-7', 'CN25-7c 和 PIPL-31', 'fg.text_reading')}",
        )
        return
    if m.expected and m.age_floor is not None and m.age_floor >= 14 and not m.share:
        yield Violation(
            "minors.age_floor",
            f"minors.age_floor is {m.age_floor}, so nobody under 14 is enrolled, but {token}; correct one of them "
            f"{_policy('FG-7', 'CN25-7c and PIPL-31', 'fg.text_reading')}",
            zh=f"minors.age_floor 为 {m.age_floor}，即不录入不满十四周岁者，但 {token_zh}；请更正其中之一"
            f"{_policy_zh('FG-7', 'CN25-7c 和 PIPL-31', 'fg.text_reading')}",
        )
    if facts.minors_expected(spec, ctx.settings.get("minors.unknown_age")):
        return
    reported: set[str] = set()
    for path, mention in _read(spec, reading.minors, lambda f: f != "minors.rules_ref"):
        if path in reported:
            continue
        reported.add(path)
        yield Violation(
            path,
            f"{path} says {mention.words!r} (under-14s among the people), but {token}"
            + (f" and minors.age_floor is {m.age_floor}" if m.age_floor is not None else "")
            + f"; {ask(path)}{_policy('FG-7', 'CN25-7c and PIPL-31', 'fg.text_reading')}",
            zh=f"{path} 写有 {mention.words!r}（人员中有不满十四周岁者），但 {token_zh}"
            + (f"，且 minors.age_floor 为 {m.age_floor}" if m.age_floor is not None else "")
            + f"；{ask_zh(path)}{_policy_zh('FG-7', 'CN25-7c 和 PIPL-31', 'fg.text_reading')}",
        )


def inference_in_text(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """FG-8: the words say the deployment infers a sensitive attribute the analyses token does not declare."""
    if not ctx.settings.get("fg.text_reading"):
        return
    declared = set(spec.analyses) | set(facts.analyses(spec))
    exception = facts.exception_recorded(spec, INFERENCE_EXCEPTIONS["cn"])
    reported: set[tuple[str, str]] = set()
    for path, mention in _read(spec, reading.inferences):
        if mention.names in declared or (path, mention.names) in reported:
            continue
        reported.add((path, mention.names))
        said = f"{path} says the faces are analysed for {mention.words!r} ({label(mention.names, 'both')})"
        said_zh = f"{path} 写明对人脸分析 {mention.words!r}（{label(mention.names)}）"
        named = facts.analysis(spec, mention.names)
        law: tuple[str, ...] = ()
        if named in ctx.inference_denylist and not exception:  # the law forbids the inference itself (§5.2)
            draft = named in _DRAFT_ART11 and "cn2023-draft" in lineage(ctx.profile.name)
            law = ("CN25-3", "CN23-11") if draft else ("CN25-3",)
            said += ", an inference on the deny-list CN25-3 prohibits without a recorded exception"
            said_zh += "，属于 CN25-3 禁止推断清单，且未记录例外"
        tail = _read_by("FG-8") if law else _policy("FG-8", "CN25-3 and CN23-11", "fg.text_reading")
        tail_zh = _read_by_zh("FG-8") if law else _policy_zh("FG-8", "CN25-3 和 CN23-11", "fg.text_reading")
        yield Violation(
            path,
            f"{said}, but analyses is [{', '.join(spec.analyses)}]; declare it in analyses (the deny-list then "
            f"applies) or remove it; {ask(path)}{tail}",
            zh=f"{said_zh}，但 analyses 为 [{', '.join(spec.analyses)}]；请在 analyses 中声明（禁止推断清单随即适用）"
            f"或删除；{ask_zh(path)}{tail_zh}",
            law=law,
        )


def foreign_place_in_text(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """FG-9: the words send facial data to a place outside mainland China that no recipient's country states."""
    if not ctx.settings.get("fg.text_reading"):
        return
    abroad = {r.country for r in spec.recipients if r.abroad}
    reported: set[str] = set()
    for path, mention in _read(spec, reading.foreign_places):
        if path in reported:
            continue
        recipient = re.match(r"recipients\[(\d+)\]", path)
        if recipient:
            r = spec.recipients[int(recipient.group(1))]
            if r.abroad:
                continue
            token = f"recipients[{recipient.group(1)}].country is {r.country or 'not given'}"
            token_zh = f"recipients[{recipient.group(1)}].country 为 {r.country or '未载明'}"
        else:
            if abroad or not any(_HOSTING.search(c) for c in reading.clauses(_text(spec, path, mention.words))):
                continue
            token = f"storage.location is {spec.storage.location} and no recipient is abroad"
            token_zh = f"存储位置为{label(spec.storage.location)}，且没有境外接收方"
        reported.add(path)
        yield Violation(
            path,
            f"{path} says {mention.words!r} ({label(mention.names, 'both') if mention.names != 'abroad' else 'abroad'}"
            f"), but {token}; a transfer abroad needs the recipient's country, a transfer mechanism and separate "
            f"consent (PIPL-38, PIPL-39); {ask(path)}{_policy('FG-9', 'PIPL-38 and PIPL-39', 'fg.text_reading')}",
            zh=f"{path} 写有 {mention.words!r}（{label(mention.names) if mention.names != 'abroad' else '境外'}），但 "
            f"{token_zh}；向境外提供须载明接收方所在国家或地区、出境机制并取得单独同意（PIPL-38、PIPL-39）；"
            f"{ask_zh(path)}{_policy_zh('FG-9', 'PIPL-38 和 PIPL-39', 'fg.text_reading')}",
        )


def _text(spec: Deployment, path: str, words: str) -> str:
    return next((t for p, t in texts(spec) if p == path and words in t), "")


def _alternative_names() -> dict[str, re.Pattern[str]]:
    out = {}
    for term in ALTERNATIVES:
        names = sorted({term.zh, term.en, *term.synonyms}, key=len, reverse=True)
        parts = [re.escape(n) if re.search(r"[\u4e00-\u9fff]", n) else r"\b" + re.escape(n) + r"s?\b"
                 for n in names if len(n) > 2 or re.search(r"[\u4e00-\u9fff]", n)]  # fmt: skip
        out[term.value] = re.compile("|".join(parts), re.IGNORECASE)
    return out


_ALTERNATIVE_NAMES = _alternative_names()
# A period counted from an event ("30 days after employment ends") adds to the period; it does not state it.
_RELATIVE = re.compile(
    r"\b(after|following|from|since|of (leaving|departure))\b|\bwithin\b[^.;]{0,30}?\bof\b|后|之后|以后|起",
    re.IGNORECASE,
)
# How a person exercises data rights (access, correction, deletion, withdrawal) is not the alternative to the face.
_NOT_ABOUT_ALTERNATIVES = frozenset({"notice.rights_exercise_procedure"})
_ALTERNATIVE_WORD = re.compile(r"\balternatives?\b|替代|备选|staffed lane|人工通道", re.IGNORECASE)


def alternative_burden_in_text(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """FG-10: the words put a fee, a wait, extra steps, limited hours or a closure on an alternative, or its stated wait
    is long."""
    for method, terms in spec.alternative_terms.items():
        if terms.wait and not zero(terms.wait):
            days = reading.durations_days(terms.wait)
            if days and max(days) * 1440 > WAIT_LIMIT_MINUTES:
                yield Violation(
                    f"alternatives[{method}].wait",
                    f"the alternative {label(method, 'both')} makes people wait {terms.wait}, longer than "
                    f"{WAIT_LIMIT_MINUTES} minutes: a burden that pushes people to face recognition; shorten it "
                    f"{_policy('FG-10', 'CN25-10c and CN25-12a', 'fg.text_reading')}",
                    zh=f"替代方式{label(method)}需等待 {terms.wait}，超过 {WAIT_LIMIT_MINUTES} 分钟：这一负担会迫使人们"
                    f"选择人脸识别；请缩短{_policy_zh('FG-10', 'CN25-10c 和 CN25-12a', 'fg.text_reading')}",
                )
    if not ctx.settings.get("fg.text_reading"):
        return
    offered = [m for m in spec.alternatives if m in _ALTERNATIVE_NAMES]
    reported: set[str] = set()
    for path, text in texts(spec):
        if path in reported or claims.reading_attested(spec, path) is not None:
            continue
        note = re.match(r"alternatives\[(\w+)\]\.note", path)
        if path in _NOT_ABOUT_ALTERNATIVES:
            continue
        for clause in reading.clauses(text):
            if note:
                method = note.group(1)
            else:
                named = [m for m in offered if _ALTERNATIVE_NAMES[m].search(clause)]
                if not named and not (_ALTERNATIVE_WORD.search(clause) and len(offered) == 1):
                    continue
                method = named[0] if named else offered[0]
            found = reading.burdens(clause)
            stated_terms = spec.alternative_terms.get(method)
            if stated_terms is not None and stated_terms.fee and not zero(stated_terms.fee):
                found = [f for f in found if f.kind != "fee"]  # a stated fee is CN25-12a's finding
            if not found:
                continue
            reported.add(path)
            what = "; ".join(f"{m.words!r} ({m.names})" for m in found)
            fee = stated_terms.fee if stated_terms is not None and stated_terms.fee else "not given"
            wait = stated_terms.wait if stated_terms is not None and stated_terms.wait else "not given"
            fee_zh = stated_terms.fee if stated_terms is not None and stated_terms.fee else "未载明"
            wait_zh = stated_terms.wait if stated_terms is not None and stated_terms.wait else "未载明"
            yield Violation(
                path,
                f"{path} says {what} for the alternative {label(method, 'both')}, but its fee is {fee} and its wait "
                f"{wait}; an alternative must be free, open and as easy as face recognition; {ask(path)}"
                f"{_policy('FG-10', 'CN25-10b, CN25-10c and CN25-12a', 'fg.text_reading')}",
                zh=f"{path} 对替代方式{label(method)}写有 {'、'.join(repr(m.words) for m in found)}，"
                f"但其费用为 {fee_zh}、等待时间为 {wait_zh}；替代方式必须免费、开放且与人脸识别同样便捷；"
                f"{ask_zh(path)}{_policy_zh('FG-10', 'CN25-10b、CN25-10c 和 CN25-12a', 'fg.text_reading')}",
            )
            break


def open_ended_purpose(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """FG-11: the purpose's words leave it open to further uses, or name one, so no specific purpose is stated."""
    if not ctx.settings.get("fg.text_reading"):
        return
    purpose_fields = ("name", "purpose.description", "purpose.necessity", "purpose.least_impact", "notice.consent_text")
    category = spec.purpose.category

    def find(clause: str) -> list[Mention]:
        return reading.open_ended(clause) + reading.further_uses(clause, category)

    reported: set[str] = set()
    for path, mention in _read(spec, find, lambda f: f in purpose_fields):
        if path in reported:
            continue
        reported.add(path)
        further = f" ({label(mention.names, 'both')})" if mention.kind == "further_use" else ""
        yield Violation(
            path,
            f"{path} says {mention.words!r}{further}, which takes the purpose beyond purpose.category {category} "
            f"({label(category)}), while CN25-4a asks for a specific purpose; state one specific purpose; a further "
            f"use needs its own deployment, notice and consent; {ask(path)}{_read_by('FG-11')}",
            zh=f"{path} 写有 {mention.words!r}，使目的超出 purpose.category {category}（{label(category)}），"
            f"而 CN25-4a 要求目的具体；请载明一个具体目的；其他用途须另设部署、告知并取得同意；{ask_zh(path)}"
            + _read_by_zh("FG-11"),
            law=("CN25-4a",),
        )


def method_in_text(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """FG-14: the words describe no 1:N search or passive capture behind 1:1 verification and active capture."""
    if not ctx.settings.get("fg.text_reading"):
        return
    declared = {"identification"} if spec.modality == "identification" else set()
    declared |= {"passive"} if spec.capture == "passive" else set()
    reported: set[tuple[str, str]] = set()
    for path, mention in _read(spec, reading.searches):
        if mention.names in declared or (path, mention.names) in reported:
            continue
        reported.add((path, mention.names))
        token, value = ("modality", spec.modality) if mention.names == "identification" else ("capture", spec.capture)
        said = "a 1:N search" if mention.names == "identification" else "a passive capture"
        said_zh = "1:N 辨识" if mention.names == "identification" else "无感（被动）采集"
        yield Violation(
            path,
            f"{path} says {mention.words!r}, {said}, but {token} is {value}: the notice and the filing would misstate "
            f"the method; declare it in {token} (its rules then apply) or correct the words; {ask(path)}"
            f"{_policy('FG-14', 'CN25-4a and CN25-5a', 'fg.text_reading')}",
            zh=f"{path} 写有 {mention.words!r}，即{said_zh}，但 {token} 为 {value}：告知和备案将误述处理方式；"
            f"请在 {token} 中如实声明（相应规则随即适用）或更正文字；{ask_zh(path)}"
            f"{_policy_zh('FG-14', 'CN25-4a 和 CN25-5a', 'fg.text_reading')}",
        )


def decisive_facts(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """FG-12: facts that decide a rule are stated, never assumed: recipients' country, minors, alternatives' terms."""
    if not ctx.settings.get("fg.decisive_facts"):
        return
    tail = _policy("FG-12", "PIPL-38, CN25-7c and CN25-10c", "fg.decisive_facts")
    tail_zh = _policy_zh("FG-12", "PIPL-38、CN25-7c 和 CN25-10c", "fg.decisive_facts")
    for i, r in enumerate(spec.recipients):
        if r.country is None:
            yield Violation(
                f"recipients[{i}].country",
                f"recipient {r.name or i} has no country: state where it receives the data (CN for mainland China; "
                f"Hong Kong, Macao and Taiwan are transfers abroad) {tail}",
                zh=f"接收方 {r.name or i} 未载明国家或地区：请写明其接收数据的地点（中国大陆为 CN；向香港、澳门、台湾"
                f"提供属于向境外提供）{tail_zh}",
            )
    if spec.minors.share is None and spec.minors.age_floor is None:
        yield Violation(
            "minors",
            "minors states neither the expected share of under-14s (minors.share, 0 allowed) nor the youngest age "
            f"enrolled (minors.age_floor) {tail}",
            zh=f"未成年人一项既未载明预计不满十四周岁者的比例（请在 minors.share 中填写，可为 0），"
            f"也未载明录入的最小年龄（请在 minors.age_floor 中填写）{tail_zh}",
        )
    for method in spec.alternatives:
        terms = spec.alternative_terms.get(method)
        missing = [k for k in ("fee", "wait") if terms is None or not getattr(terms, k)]
        if missing:
            yield Violation(
                f"alternatives[{method}]",
                f"the alternative {label(method, 'both')} does not state its {' and '.join(missing)}: write it as "
                f"{{method: {method}, fee: 0, wait: 0}} with the real figures (zero is an answer) {tail}",
                zh=f"替代方式{label(method)}未载明其{'和'.join(TERMS_ZH[k] for k in missing)}：请按实际数字写作"
                f" {{method: {method}, fee: 0, wait: 0}}（零也是答案）{tail_zh}",
            )


def retention_maximum(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """FG-13: retention within the maximum for the purpose category; the justification agrees with the figure."""
    if not ctx.settings.get("fg.retention_maximum"):
        return
    storage, limit = spec.storage, retention.maximum(spec)
    tail = _policy("FG-13", "PIPL-19 and CN25-8c", "fg.retention_maximum")
    tail_zh = _policy_zh("FG-13", "PIPL-19 和 CN25-8c", "fg.retention_maximum")
    if retention.over_maximum(spec) and not claims.supported(spec, "retention_by_law"):
        days = max(d for d in (storage.retention_days, storage.raw_image_retention_days) if d is not None)
        yield Violation(
            "storage.retention_days",
            f"facial data is kept {days:,} days, past the maximum of {limit:,} days for "
            f"{spec.purpose.category} ({label(spec.purpose.category)}); shorten it, or show that a law requires the "
            "longer period (a registry provision, or attestations: [{claim: retention_by_law, reviewer, attested_on, "
            f"document}}]) {tail}",
            zh=f"人脸信息保存 {days:,} 天，超过 {label(spec.purpose.category)}（{spec.purpose.category}）的上限 "
            f"{limit:,} 天；请缩短，或证明法律要求更长的期限（登记的规定，或 attestations: "
            "[{claim: retention_by_law, reviewer, attested_on, document}]）" + tail_zh,
        )
    justification = storage.retention_justification
    attested = claims.reading_attested(spec, "storage.retention_justification") is not None
    if storage.retention_days and justification and not attested:
        said = [d for c in reading.clauses(justification) if not _RELATIVE.search(c) for d in reading.durations_days(c)]
        if said and max(said) * 2 < storage.retention_days:
            yield Violation(
                "storage.retention_justification",
                f"storage.retention_justification states at most {max(said):g} days, but storage.retention_days is "
                f"{storage.retention_days:,}: the justification does not support the period; "
                f"{ask('storage.retention_justification')}{tail}",
                zh=f"storage.retention_justification 载明最多 {max(said):g} 天，但 storage.retention_days 为 "
                f"{storage.retention_days:,}：理由不支持该期限；{ask_zh('storage.retention_justification')}{tail_zh}",
            )


RULES: tuple[Rule, ...] = (
    Rule("FG-6", "The spec's words put no device in a private space its location.type omits (facegate policy)",
         "BLOCK", "S", CN, check=private_place_in_text, serves=("CN25-13a",), setting="fg.text_reading"),
    Rule("FG-7", "The spec's words and figures count no under-14s its minors token denies (facegate policy)",
         "BLOCK", "S", CN, check=minors_in_text, serves=("CN25-7c", "PIPL-31"), setting="fg.text_reading"),
    Rule("FG-8", "The spec's words declare no inference its analyses omit (facegate policy)", "BLOCK", "S", CN,
         check=inference_in_text, serves=("CN25-3", "CN23-11"), setting="fg.text_reading"),
    Rule("FG-9", "The spec's words send facial data abroad only to a recipient whose country says so (facegate "
         "policy)", "BLOCK", "S", CN, check=foreign_place_in_text, serves=("PIPL-38", "PIPL-39"),
         setting="fg.text_reading"),
    Rule("FG-10", "The alternative carries no fee, wait, extra steps or closure in the spec's words (facegate "
         "policy)", "BLOCK", "S", CN, check=alternative_burden_in_text, serves=("CN25-10b", "CN25-10c", "CN25-12a"),
         setting="fg.text_reading", questions=("Q12",)),
    Rule("FG-11", "The purpose's words leave it open to no further uses and name none (facegate policy)", "BLOCK",
         "S", CN, check=open_ended_purpose, serves=("CN25-4a", "CN25-6e"), setting="fg.text_reading"),
    Rule("FG-12", "Decisive facts stated, never defaulted: recipients' country, minors, alternatives' fee and wait "
         "(facegate policy)", "BLOCK", "S", CN, check=decisive_facts, serves=("PIPL-38", "CN25-7c", "CN25-10c"),
         setting="fg.decisive_facts"),
    Rule("FG-13", "Retention within the maximum for the purpose category (facegate policy)", "BLOCK", "S", CN,
         check=retention_maximum, serves=("PIPL-19", "CN25-8c"), setting="fg.retention_maximum"),
    Rule("FG-14", "The spec's words describe no 1:N search or passive capture its modality and capture tokens omit "
         "(facegate policy)", "BLOCK", "S", CN, check=method_in_text, serves=("CN25-4a", "CN25-5a"),
         setting="fg.text_reading"),
)  # fmt: skip
