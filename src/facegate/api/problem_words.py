"""Problems in Chinese: each problem type's title and meaning (the pages its `type` URI opens) and a refusal's or
bad input's full sentence (an API answer's `detail` for a zh caller, the console's refusal). The web reads them here.

Nothing in these sentences comes from the input: a code's sentence, rule IDs with their titles, alternatives' labels.
"""

from facegate.policy import vocabulary

from .codes import CODES
from .rule_words import RULE_TITLES_ZH

# Alternatives the spec vocabulary (facegate.policy.vocabulary) does not name, in English and Chinese.
ALTERNATIVE_LABELS: dict[str, tuple[str, str]] = {
    "access_card": ("access card", "门禁卡"),
    "pin": ("PIN", "密码"),
    "passkey": ("passkey", "通行密钥"),
    "totp": ("authenticator app", "身份验证器应用"),
    "checkin_code": ("check-in code", "签到码"),
    "staff": ("staff check", "人工核验"),
    "key_card": ("key card", "房卡"),
    "id_document": ("ID document", "身份证件"),
    "qr_code": ("QR code", "二维码"),
    "password": ("password", "密码"),
}

PROBLEM_ZH: dict[str, str] = {
    "Refused by the rules": "规则拒绝",
    "The rules behind `rule_ids` refuse the operation; `alternatives` says what the subject may use instead.":
        "`rule_ids` 所列规则拒绝了该操作；`alternatives` 列出当事人可改用的方式。",
    "Liveness check failed": "活体检测未通过",
    "The camera frames did not answer the liveness challenge (`reasons` names the checks; `retry_after` the seconds "
    "to wait); the `alternatives` need no camera.":
        "摄像头画面未能通过活体挑战（`reasons` 列出各项检查；`retry_after` 为需等待的秒数）；"
        "`alternatives` 无需摄像头。",
    "Not allowed for this key": "此密钥无权执行",
    "The API key's role, or the deployments it is granted, do not cover this operation.":
        "API 密钥的角色或其被授予的部署不涵盖此操作。",
    "Authentication required": "需要身份验证",
    "Send `Authorization: Bearer <API key or subject link token>`.":
        "请发送 `Authorization: Bearer <API 密钥或当事人链接令牌>`。",
    "Invalid input": "输入无效",
    "The request's input (a spec, an image, a field) is not acceptable; nothing was changed.":
        "请求的输入（部署规范、图像或字段）不可接受；未做任何更改。",
    "Not found": "未找到",
    "The named deployment, subject, key or event does not exist.": "所指定的部署、当事人、密钥或事件不存在。",
    "Conflict": "冲突",
    "The request conflicts with the current state (for example, already registered).":
        "请求与当前状态冲突（例如已经注册）。",
    "Request too large": "请求过大",
    "The body is over the limit; images may be at most 20 MiB.": "请求体超出限制；图像最大为 20 MiB。",
    "Audit log failed verification": "审计日志验证失败",
    "An audit entry or checkpoint was altered, removed or forged.": "某条审计记录或检查点被篡改、删除或伪造。",
    "Unavailable, try again": "暂不可用，请重试",
    "facegate cannot do this now but will soon (decoder busy, hub out of reach, face engine restarting); ask again "
    "after the `Retry-After` header's seconds (`retry_after`). Nothing was changed.":
        "facegate 暂时无法处理，但很快即可恢复（解码繁忙、中心节点不可达、人脸引擎正在重启）；请在 `Retry-After` "
        "头所示秒数（`retry_after`）后重试。未做任何更改。",
    "Not ready": "尚未就绪",
    "A dependency (database, key store, face engine) does not answer yet; `checks` says which. Ask again, or send "
    "the request to another replica.":
        "某个依赖（数据库、密钥库、人脸引擎）尚未响应；`checks` 说明是哪一个。请重试，或将请求发往另一个副本。",
    "HTTP error": "HTTP 错误",
    "A protocol-level error (method not allowed, unknown path, ...).": "协议层错误（方法不允许、路径未知等）。",
    "Internal error": "内部错误",
    "Something went wrong inside facegate; the request ID finds it in the log.":
        "facegate 内部出错；可凭请求 ID 在日志中找到它。",
}
_ALTERNATIVES = {term.value: term for term in vocabulary.VOCABULARIES["alternative"]}


def alternative_zh(value: str) -> str:
    """An alternative's Chinese label: the spec vocabulary's, else ALTERNATIVE_LABELS', else the value as is."""
    term = _ALTERNATIVES.get(value)
    if term is not None:
        return term.zh
    return ALTERNATIVE_LABELS[value][1] if value in ALTERNATIVE_LABELS else value


def problem_zh(
    code: str, rule_ids: list[str] | None = None, alternatives: list[str] | None = None, said: str | None = None
) -> str:
    """A problem in Chinese, in full: `said` (the gate's own sentence, where a caller has it in Chinese) or the
    code's sentence, each rule behind it with its Chinese title, and what the subject may use instead."""
    text = said or CODES.get(code, CODES["refused"])[1]
    if rule_ids:
        text += "依据规则：" + "；".join(f"{r}（{RULE_TITLES_ZH[r]}）" if r in RULE_TITLES_ZH else r for r in rule_ids)
        text += "。"
    if alternatives:
        text += "当事人可改用：" + "、".join(alternative_zh(a) for a in alternatives) + "。"
    return text
