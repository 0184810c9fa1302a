"""CN25-12a's copy-lint, CN25-8a/b and CN25-8c read in the spec's words: wording that makes face recognition
compulsory, facial data leaving the device while the tokens keep it there, and a retention in words longer than the
figure (policy.rules.cn25 reports them with its own rules)."""

import re
from collections.abc import Iterator

from facegate.policy import claims, reading, retention
from facegate.policy.answers import stated
from facegate.policy.rule import Violation
from facegate.policy.rules.consistency import ask, ask_zh, texts
from facegate.policy.spec import Deployment
from facegate.policy.vocabulary import labels


def compulsory_wording(spec: Deployment) -> Iterator[Violation]:
    """CN25-12a's copy-lint: the words make face recognition compulsory ('registration is mandatory', 'no
    alternative', '必须刷脸'), unless a state provision makes face the only method."""
    if stated(spec.sole_method_ref):  # a state provision may make face the only method (CN25-10a)
        return
    for path, text in texts(spec):
        if claims.reading_attested(spec, path) is not None:
            continue
        about_alternatives = path == "purpose.alternatives_analysis" or path.startswith("alternatives[")
        found = [m for c in reading.clauses(text) for m in reading.compulsion(c, about_alternatives)]
        if not found:
            continue
        words = ", ".join(repr(m.words) for m in found)
        offered = labels(spec.alternatives, "en") if spec.alternatives else "none"
        offered_zh = labels(spec.alternatives) if spec.alternatives else "无"
        yield Violation(
            path,
            f"{path} says {words}: wording that makes face recognition compulsory coerces people into it, while "
            f"alternatives lists {offered}; say that the alternatives are open to everyone who declines, free "
            "and as easy, or cite the state provision that makes face the only method in sole_method_ref; if the "
            f"words do not mean that, a reviewer attests it (attestations: [{{claim: text_reading, field: {path}, "
            "reviewer, attested_on, document: the reason}])",
            zh=f"{path} 写有 {'、'.join(repr(m.words) for m in found)}：强制使用人脸识别的表述构成胁迫，而 "
            f"alternatives 为 {offered_zh}；请写明拒绝者均可免费、同样便捷地使用替代方式，或在 sole_method_ref "
            "中引用规定人脸为唯一方式的国家规定；如文字并非此意，由审核人确认（attestations: [{claim: "
            f"text_reading, field: {path}, reviewer, attested_on, document: 理由}}]）",
        )


_FACIAL_DATA = re.compile(r"\bfac(?:e|es|ial)\b|template|image|photo|biometric|人脸|模板|照片|图像|特征", re.IGNORECASE)
_MOVED = re.compile(
    r"\bupload|\b(?:sent|sends|send|transferred|synced|synchronised|synchronized|copied|backed up) to (?:the |a |our )?"
    r"(?:cloud|server|platform|headquarters|data cent)"
    r"|\b(?:stored|kept|matched|compared|held) (?:in|on|at) (?:the |a |our )?(?:cloud|server|platform|data cent)"
    r"|上传|云端|云平台|服务器(?:上|端)?(?:比对|存储|保存)|后台比对|同步至|传至",
    re.IGNORECASE,
)


def off_device_wording(spec: Deployment) -> Iterator[Violation]:
    """CN25-8a/b read in the words: facial data sent to a server or the cloud while the tokens keep it on the device
    with no consent to transmit it."""
    if spec.storage.location != "device" or spec.storage.transmission_consent:
        return
    if claims.supported(spec, "statutory_basis"):  # a law may move it without consent (CN25-8a/b)
        return
    for path, text in texts(spec):
        if claims.reading_attested(spec, path) is not None:
            continue
        for clause in reading.clauses(text):
            moved = _MOVED.search(clause)
            if moved is None or not _FACIAL_DATA.search(clause) or reading.negated(clause):
                continue
            yield Violation(
                path,
                f"{path} says {moved.group(0)!r}: facial data leaves the device, but storage.location is device and "
                "storage.transmission_consent is false, so nobody is asked the separate consent to transmit it; "
                + ask(path),
                zh=f"{path} 写有 {moved.group(0)!r}：人脸信息离开设备，但存储位置为设备内，且 "
                "storage.transmission_consent 为 false，因而无人被征求传输所需的单独同意；" + ask_zh(path),
            )
            break


_RETENTION_TEXTS = ("storage.retention_justification", "storage.retention_determination_method",
                    "notice.retention_expiry_handling")  # fmt: skip


def retention_wording(spec: Deployment) -> Iterator[Violation]:
    """CN25-8c read in the words: they keep facial data longer than the retention figure says, so the spec (and the
    notice built from it) understates what it keeps."""
    storage = spec.storage
    figures = [d for d in (storage.retention_days, storage.raw_image_retention_days) if d is not None]
    if not figures:
        return
    figure = max(figures)
    for path, text in texts(spec):
        if path not in _RETENTION_TEXTS or claims.reading_attested(spec, path) is not None:
            continue
        longer = [(words, days) for words, days in retention.stated_periods(text) if days > figure * 1.05 + 1]
        if not longer:
            continue
        words, days = max(longer, key=lambda item: item[1])
        yield Violation(
            path,
            f"{path} says {words!r} (at least {days:,.0f} days), but storage.retention_days is {figure:,}: the spec "
            "understates how long facial data is kept; keep it only the shortest time necessary and state that period "
            "in storage.retention_days, or correct the words; " + ask(path),
            zh=f"{path} 写有 {words!r}（至少 {days:,.0f} 天），但 storage.retention_days 为 {figure:,}：该部署少报了"
            "人脸信息的保存期限；请只保存实现目的所需的最短时间，并在 storage.retention_days 中如实载明，或更正文字；"
            + ask_zh(path),
        )
