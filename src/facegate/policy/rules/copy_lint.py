"""CN25-12a's copy-lint and the other CN25 duties read in the spec's words: wording that makes face recognition
compulsory (CN25-12a) or ends the service for those who decline it (CN25-12c), consent bundled with the terms or
implied by an act (CN25-6a/b), the faces of an R&D deployment put to live use (CN25-2), facial data leaving the device
while the tokens keep it there (CN25-8a/b), and a retention in words longer than the figure (CN25-8c);
policy.rules.cn25 reports them with its own rules."""

import re
from collections.abc import Callable, Iterator
from typing import Any

from facegate.policy import claims, coercion, reading, retention
from facegate.policy.rule import CheckContext, Violation
from facegate.policy.rules.consistency import ask, ask_zh, texts
from facegate.policy.spec import Deployment
from facegate.policy.vocabulary import labels


def _read(spec: Deployment, find: Callable[[str, str], list[Any]]) -> Iterator[tuple[str, str, str]]:
    """Each field of the spec in whose words `find(path, text)` reads something (where no reviewer attested the
    reading): its path and what was read, listed in English and in Chinese."""
    for path, text in texts(spec):
        if claims.reading_attested(spec, path) is not None:
            continue
        found = find(path, text)
        if found:
            yield path, ", ".join(repr(m.words) for m in found), "、".join(repr(m.words) for m in found)


def compulsory_wording(spec: Deployment) -> Iterator[Violation]:
    """CN25-12a's copy-lint: the words make face recognition compulsory ('registration is mandatory', 'no
    alternative', '必须刷脸', '拒绝刷脸的账号将被踢出游戏'), unless a state provision that the registry (or a reviewer's
    attestation) supports makes face the only method."""
    if claims.supported(spec, "sole_method"):  # a state provision may make face the only method (CN25-10a)
        return
    def find(path: str, text: str) -> list[Any]:
        return coercion.coercion(text, path == "purpose.alternatives_analysis" or path.startswith("alternatives["))

    for path, words, words_zh in _read(spec, find):
        offered = labels(spec.alternatives, "en") if spec.alternatives else "none"
        offered_zh = labels(spec.alternatives) if spec.alternatives else "无"
        yield Violation(
            path,
            f"{path} says {words}: wording that makes face recognition compulsory coerces people into it, while "
            f"alternatives lists {offered}; say that the alternatives are open to everyone who declines, free "
            "and as easy, or cite the state provision that makes face the only method in sole_method_ref; if the "
            f"words do not mean that, a reviewer attests it (attestations: [{{claim: text_reading, field: {path}, "
            "reviewer, attested_on, document: the reason}])",
            zh=f"{path} 写有 {words_zh}：强制使用人脸识别的表述构成胁迫，而 "
            f"alternatives 为 {offered_zh}；请写明拒绝者均可免费、同样便捷地使用替代方式，或在 sole_method_ref "
            "中引用规定人脸为唯一方式的国家规定；如文字并非此意，由审核人确认（attestations: [{claim: "
            f"text_reading, field: {path}, reviewer, attested_on, document: 理由}}]）",
        )


def service_refused_wording(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-12c read in the words: declining face recognition ends or withholds the service
    ('拒绝刷脸的账号将被踢出游戏', 'who refuse cannot enter'), unless a state provision makes face the only method."""
    if claims.supported(spec, "sole_method"):  # a registered (or attested) state provision, not a bare ref (§4.8)
        return
    for path, words, words_zh in _read(spec, lambda path, text: coercion.penalties(text)):
        yield Violation(
            path,
            f"{path} says {words}: declining face recognition costs the person the service, but consent to face "
            "recognition may not be a condition of service unless it is strictly necessary; let everyone who declines "
            "use the service by a non-biometric alternative, or cite the state provision that makes face the only "
            f"method in sole_method_ref; {ask(path)}",
            zh=f"{path} 写有 {words_zh}：拒绝人脸识别即失去服务，但除非确有必要，"
            "不得以同意人脸识别作为提供服务的条件；请让拒绝者通过非生物特征的替代方式获得服务，或在 sole_method_ref "
            f"中引用规定人脸为唯一方式的国家规定；{ask_zh(path)}",
        )


def consent_wording(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-6a/b read in the words: consent bundled with the terms or a privacy policy, or implied by an act
    ('注册会员即表示您同意《会员服务协议》', '进店即视为同意刷脸识别', 'by entering the store you agree'), is not
    separate."""
    def find(path: str, text: str) -> list[Any]:
        return [m for c in reading.clauses(text) for m in coercion.consent_taken(c, path == "notice.consent_text")]

    for path, words, words_zh in _read(spec, find):
        yield Violation(
            path,
            f"{path} says {words}: consent bundled with the terms or a privacy policy, or taken as given by entering, "
            "registering or using the service, is not the separate, voluntary and explicit consent facial information "
            "needs; ask for it on its own, by a dedicated affirmative act (never pre-ticked), after the notice, with "
            f"the alternative offered to those who decline; {ask(path)}",
            zh=f"{path} 写有 {words_zh}：与服务协议、隐私政策捆绑的同意，或以进入、"
            "注册、使用服务视为同意，都不是人脸信息所需的单独、自愿、明确的同意；请在告知后以专门的主动操作（不得默认"
            f"勾选）单独征求同意，并向拒绝者提供替代方式；{ask_zh(path)}",
        )


def live_use_wording(spec: Deployment) -> Iterator[Violation]:
    """CN25-2 read in the words: the faces of an R&D or algorithm-training deployment are put to live use ('导入办公室
    门禁进行刷脸通行试点', 'loaded into the office gates for a live face-entry trial'), which R&D never is."""
    if spec.context != "rnd_algorithm_training":
        return
    def find(path: str, text: str) -> list[Any]:
        return [m for c in reading.clauses(text) for m in reading.live_uses(c)]

    for path, words, words_zh in _read(spec, find):
        yield Violation(
            path,
            f"{path} says {words}: the faces of this R&D deployment (context: rnd_algorithm_training) are put to live "
            "use, but R&D and algorithm training are never live, and the gate refuses live matching for it; keep the "
            "data set out of live systems, or register the live use as its own deployment (context: production, with "
            f"its purpose, notice, consent and impact assessment); {ask(path)}",
            zh=f"{path} 写有 {words_zh}：该研发部署（context: rnd_algorithm_training）的"
            "人脸被投入实际应用，但研发和算法训练不得用于实际识别，门控也拒绝其实际比对；请将数据集与实际应用系统隔离，"
            f"或将实际应用登记为单独的部署（context: production，另行告知、取得同意并完成影响评估）；{ask_zh(path)}",
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
