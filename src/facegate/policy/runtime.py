"""What the software refuses at run time, rule by rule: the source of every "enforced at run time" list in documents.

tests/test_policy_runtime.py holds this table to the code: each ID here is cited by a refusal the gate (or the
lifecycle it calls) raises, and each ID those refusals cite is here. A new refusal citing a new rule adds a line.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from facegate.policy import facts

if TYPE_CHECKING:
    from facegate.policy.spec import Deployment

RUNTIME: dict[str, str] = {
    "CN25-2": "live enrollment and matching are refused for an R&D or algorithm-training deployment",
    "CN25-3": "a 1:N gallery is not grown past the size at which strangers would be named (no harm to rights)",
    "CN25-4b": "a request for a purpose other than the registered one is refused",
    "CN25-5b": "capture is refused until the current notice was shown to the subject, on every legal basis",
    "CN25-5c": "a new notice version must be shown again before capture",
    "CN25-6a/b": "capture is refused without the subject's separate (or written) consent on a consent basis",
    "CN25-6d": "after withdrawal every operation is refused and the templates are deleted",
    "CN25-6e": "consents made stale by a change of purpose, method or data type are refused",
    "CN25-7a/b": "an under-14 subject needs a guardian's consent",
    "CN25-7c": "an under-14 subject is refused where the deployment has no rules for minors",
    "CN25-8a/b": "off-device storage needs the subject's separate consent to the transmission",
    "CN25-8c": "templates past their retention period are purged",
    "CN25-9a/b": "no biometric operation before an approved impact assessment (a draft deployment)",
    "CN25-9d": "a change of purpose or method, or a major incident, suspends the deployment until reassessed",
    "CN25-10a": "a non-biometric method the deployment does not offer is refused",
    "CN25-10b": "a refusal and a decline name the deployment's non-biometric alternatives",
    "CN25-12b": "after a decline, face recognition is not offered again unless the subject asks",
    "CN25-14a–d": "repeated wrong PINs or codes lock the subject out of the alternatives for a growing time",
    "CN25-13b": "a camera stream runs only with signs posted, and in a public place only for public security in a "
    "delimited collection area",
    "CN25-15c": "the overdue filing is named when a new enrollment is refused under FG-5",
    "CN25-15d/e": "a retired deployment refuses every operation and its templates are deleted",
    "PIPL-8": "1:N decides at a threshold set from the model's calibrated error rates, or not at all",
    "PIPL-24": "with human review, identification returns candidates for a person to decide, not a verdict",
    "PIPL-13": "a statutory or contract basis without a reference is refused",
    "PIPL-14": "consent is asked again after a change (stale consents are refused)",
    "PIPL-15": "withdrawal stops processing at once",
    "PIPL-17": "the notice (and each new version) precedes capture",
    "PIPL-18": "the notice is skipped only where a registry provision exempts it",
    "PIPL-26": "a camera stream in a public place serves public security only",
    "PIPL-29": "separate consent for facial data, and for its transmission off the device",
    "PIPL-31": "a guardian's consent for under-14s",
    "PIPL-39": "a deployment sending facial data abroad needs each subject's separate cross_border consent",
    "PIPL-47": "deletion on withdrawal, retirement and at the end of retention",
    "PIPL-51": "security incidents are recorded; a major one reopens the assessment",
    "PIPL-55/56": "no processing before an approved impact assessment",
    "NDSR-22": "no repeated asking after a refusal",
    "ACC-1": "identification keeps the expected false positive rate within the deployment's target for its gallery",
    "BIPA-15b3": "under bipa, capture needs a written release",
    "FG-3": "facegate policy: no consent prompt within the re-prompt window after a decline (48 h by default)",
    "FG-5": "facegate policy: new enrollments stop while a filing is overdue (verification goes on)",
}

# Art. 12 of the Measures (no misleading, fraud or coercion) where software cannot reach: the handler's duty.
HANDLER_DUTIES: tuple[str, ...] = (
    "staff do not tell people face recognition is mandatory, or that declining delays or worsens the service "
    "(CN25-12a)",
    "signs, scripts and apps present the non-biometric alternative as plainly as face recognition (CN25-12a)",
    "no pretext (handling business, improving service) is used to obtain face recognition (CN25-12a)",
)


def applies_here(rule_id: str, spec: "Deployment") -> bool:
    """Whether the run-time measure of `rule_id` can act on this deployment (documents list only those that can)."""
    predicate = _WHERE.get(rule_id)
    return predicate is None or predicate(spec)


def _secret_alternative(spec: "Deployment") -> bool:
    return bool({"pin", "totp", "checkin_code", "passkey"} & set(spec.alternatives))


_WHERE: dict[str, "Callable[[Deployment], bool]"] = {
    "CN25-2": lambda s: s.context == "rnd_algorithm_training",
    "CN25-3": lambda s: s.modality == "identification",
    "CN25-6a/b": lambda s: s.consent_based,
    "CN25-6d": lambda s: s.consent_based,
    "CN25-6e": lambda s: s.consent_based,
    "CN25-7a/b": lambda s: facts.minors_expected(s, "treat_as_minor"),
    "CN25-7c": lambda s: facts.minors_expected(s, "treat_as_minor"),
    "CN25-8a/b": lambda s: s.off_device,
    "CN25-14a–d": _secret_alternative,
    "CN25-13b": lambda s: s.capture == "passive",
    "PIPL-26": lambda s: s.capture == "passive" and facts.public_place(s),
    "PIPL-8": lambda s: s.modality == "identification",
    "PIPL-24": lambda s: s.modality == "identification" and s.human_review,
    "PIPL-13": lambda s: not s.consent_based,
    "PIPL-14": lambda s: s.consent_based,
    "PIPL-15": lambda s: s.consent_based,
    "PIPL-18": lambda s: bool(s.notice.exemption_ref),
    "PIPL-29": lambda s: s.consent_based or s.off_device,
    "PIPL-31": lambda s: facts.minors_expected(s, "treat_as_minor"),
    "PIPL-39": lambda s: any(r.abroad for r in s.recipients),
    "ACC-1": lambda s: s.modality == "identification",
    "NDSR-22": lambda s: s.consent_based,
    "FG-3": lambda s: s.consent_based,
}

# The same measures in Chinese, for the Chinese half of every document that lists them.
RUNTIME_ZH: dict[str, str] = {
    "CN25-2": "研发或算法训练用途的部署，拒绝实时登记和比对",
    "CN25-3": "1:N 人脸库不超过会把陌生人认作他人的规模（不损害个人权益）",
    "CN25-4b": "拒绝登记目的以外的请求",
    "CN25-5b": "在向本人展示现行告知之前拒绝采集（任何处理依据下均如此）",
    "CN25-5c": "告知更新后，须重新展示方可采集",
    "CN25-6a/b": "以同意为依据时，未取得本人单独（或书面）同意即拒绝采集",
    "CN25-6d": "撤回同意后拒绝一切操作并删除模板",
    "CN25-6e": "处理目的、方式或数据种类变更后，原同意失效并被拒绝",
    "CN25-7a/b": "不满十四周岁的人须取得监护人同意",
    "CN25-7c": "部署未订立未成年人专门规则时，拒绝处理不满十四周岁者",
    "CN25-8a/b": "存储于设备以外须取得本人对传输的单独同意",
    "CN25-8c": "超过保存期限的模板被清除",
    "CN25-9a/b": "影响评估获批前不进行任何生物识别操作（部署处于草稿状态）",
    "CN25-9d": "处理目的或方式变更、发生重大安全事件时，部署暂停直至重新评估",
    "CN25-10a": "拒绝部署未提供的非生物识别方式",
    "CN25-10b": "拒绝与谢绝时均告知部署提供的非生物识别替代方式",
    "CN25-12b": "本人谢绝后，除非本人要求，不再提示人脸识别",
    "CN25-14a–d": "多次输错密码或验证码后，锁定时间逐次延长",
    "CN25-13b": "摄像头视频流须设置提示标识，在公共场所仅用于维护公共安全且限于划定的采集区域",
    "CN25-15c": "依 FG-5 拒绝新登记时写明逾期未办的备案",
    "CN25-15d/e": "停用的部署拒绝一切操作并删除其模板",
    "PIPL-8": "1:N 按模型经校准的错误率设定阈值作出判断，否则不作判断",
    "PIPL-24": "启用人工复核时，辨识结果为候选名单，由人作出决定",
    "PIPL-13": "以法定职责或合同为依据却未写明依据的，予以拒绝",
    "PIPL-14": "变更后重新征得同意（失效的同意被拒绝）",
    "PIPL-15": "撤回同意即时停止处理",
    "PIPL-17": "采集前展示告知（每次更新后亦然）",
    "PIPL-18": "仅在登记库中的规定豁免时不展示告知",
    "PIPL-26": "公共场所的摄像头视频流仅用于维护公共安全",
    "PIPL-29": "人脸信息及其传出设备均须单独同意",
    "PIPL-31": "不满十四周岁者须取得监护人同意",
    "PIPL-39": "向境外提供人脸信息的部署，须取得每个人对出境的单独同意",
    "PIPL-47": "撤回同意、部署停用和保存期限届满时删除",
    "PIPL-51": "记录安全事件，重大事件重新开启影响评估",
    "PIPL-55/56": "影响评估获批前不进行处理",
    "NDSR-22": "拒绝后不反复征求同意",
    "ACC-1": "辨识在部署目标范围内控制人脸库规模对应的误识率",
    "BIPA-15b3": "bipa 规则下，采集须取得书面授权",
    "FG-3": "facegate 政策：谢绝后在重新提示窗口内（默认48小时）不再征求同意",
    "FG-5": "facegate 政策：备案逾期期间停止新登记（核验照常）",
}
HANDLER_DUTIES_ZH: tuple[str, ...] = (
    "工作人员不得称人脸识别为强制，或称拒绝会延误、降低服务（CN25-12a）",
    "标识、话术和应用中，非生物识别替代方式与人脸识别同样醒目（CN25-12a）",
    "不得以办理业务、提升服务等理由诱导使用人脸识别（CN25-12a）",
)
