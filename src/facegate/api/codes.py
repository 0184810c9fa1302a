"""The stable `code` of every problem, with its sentence in English and Chinese (a client branches on the code;
a person reads the sentence, in the language the request's Accept-Language prefers)."""

from facegate.errors import REFUSAL_CODES
from facegate.languages import from_accept_language

# code -> (English, Chinese). Add a code here when an error class or a refusal gets a new one (a test checks).
CODES: dict[str, tuple[str, str]] = {
    # input
    "invalid_input": ("The input is not acceptable.", "输入不可接受。"),
    "unknown_parameter": (
        "The request has a query parameter this route does not take.",
        "请求含有此接口不接受的查询参数。",
    ),
    "not_an_image": (
        "The file is not a JPEG, PNG or WebP image.",
        "文件不是 JPEG、PNG 或 WebP 图像。",
    ),
    "empty_image": ("The image file is empty.", "图像文件为空。"),
    "truncated_image": ("The image file is cut short.", "图像文件不完整。"),
    "corrupt_image": ("The image file is damaged.", "图像文件已损坏。"),
    "too_many_pixels": ("The image has too many pixels.", "图像像素过多。"),
    "too_much_memory": (
        "Decoding the image would take too much memory.",
        "解码该图像所需内存过多。",
    ),
    "no_face": ("No face was found in the photo.", "照片中未找到人脸。"),
    "several_faces": ("The photo shows more than one face.", "照片中有不止一张人脸。"),
    "different_people": (
        "The photos enrolled for one subject are not all of one person.",
        "为同一当事人录入的照片并非同一人。",
    ),
    "too_many_faces": (
        "The photo shows more faces than one request may search.",
        "照片中的人脸多于单次请求可搜索的数量。",
    ),
    "face_too_small": ("The face is too small in the photo.", "照片中的人脸太小。"),
    "face_turned": ("The face is turned too far from the camera.", "人脸偏离镜头过多。"),
    "face_blurred": ("The face is blurred.", "人脸模糊。"),
    "model_mismatch": (
        "The template was made by another face model.",
        "该模板由另一人脸模型生成。",
    ),
    "calibration_missing": (
        "The face model has no calibration for this decision.",
        "人脸模型缺少此项判定所需的校准。",
    ),
    "invalid_transition": (
        "The deployment cannot move to that status from its current one.",
        "部署无法从当前状态转为该状态。",
    ),
    "not_found": ("The named item does not exist.", "所指定的对象不存在。"),
    "conflict": ("The request conflicts with the current state.", "请求与当前状态冲突。"),
    "too_large": ("The request body is over the limit.", "请求体超出限制。"),
    # who asks
    "unauthorized": (
        "An API key or a valid link is required.",
        "需要 API 密钥或有效链接。",
    ),
    "forbidden": ("This key may not do this.", "此密钥无权执行该操作。"),
    "device_refused": ("The hub refuses this device.", "中心节点拒绝此设备。"),
    "device_unknown": (
        "The request is not from a device paired with this hub.",
        "该请求并非来自与本中心节点配对的设备。",
    ),
    "device_signature_invalid": ("The device's request signature does not check.", "设备请求的签名校验未通过。"),
    "device_inactive": (
        "The device is suspended, lost or unpaired on this hub.",
        "该设备在本中心节点上已暂停、挂失或解除配对。",
    ),
    "device_flagged": ("The device is flagged: an admin must look at it first.", "该设备已被标记，须先由管理员核查。"),
    "device_paired_already": ("This device key is paired already.", "该设备密钥已完成配对。"),
    "request_replayed": ("This signed request was received before.", "此签名请求此前已收到过。"),
    "pairing_token_unknown": ("The pairing token is unknown.", "配对令牌无效。"),
    "pairing_token_used": ("The pairing token is used up: mint a new one.", "配对令牌已用完，请重新生成。"),
    "pairing_token_expired": ("The pairing token has expired: mint a new one.", "配对令牌已过期，请重新生成。"),
    "pairing_token_wrong_hub": ("The pairing token names another hub's key.", "配对令牌指向另一中心节点的密钥。"),
    "hub_key_mismatch": (
        "The server does not hold the hub key the pairing token names.",
        "该服务器不持有配对令牌所指定的中心节点密钥。",
    ),
    # refusals by the rules
    "refused": ("The rules refuse this operation.", "规则拒绝此操作。"),
    "notice_not_shown": (
        "The subject has not been shown the current notice.",
        "尚未向当事人展示当前告知书。",
    ),
    "consent_missing": (
        "The subject has given no separate consent.",
        "当事人未给予单独同意。",
    ),
    "consent_withdrawn": ("The subject withdrew consent.", "当事人已撤回同意。"),
    "consent_stale": (
        "The subject's consent predates a change of the deployment; ask again.",
        "当事人的同意早于部署变更，需重新征得同意。",
    ),
    "guardian_consent_missing": (
        "A subject under 14 needs a guardian's consent.",
        "未满十四周岁的当事人需取得监护人同意。",
    ),
    "minor_not_allowed": (
        "This deployment has no rules for subjects under 14.",
        "本部署未制定未满十四周岁者的处理规则。",
    ),
    "subject_declined": (
        "The subject chose a non-biometric method.",
        "当事人已选择非生物识别方式。",
    ),
    "transmission_consent_missing": (
        "Facial data would leave the device without separate consent.",
        "未经单独同意，人脸数据不得离开设备。",
    ),
    "cross_border_consent_missing": (
        "Facial data would go abroad without separate consent.",
        "未经单独同意，人脸数据不得出境。",
    ),
    "wrong_purpose": ("The purpose is not the registered one.", "目的与登记的目的不符。"),
    "locked_out": (
        "Too many failed attempts: wait, or ask staff.",
        "失败次数过多，请稍候或请工作人员协助。",
    ),
    "filing_overdue": (
        "A filing with the authority is overdue.",
        "向主管部门的备案已逾期。",
    ),
    "blocking_findings": (
        "The deployment spec has blocking findings.",
        "部署规格存在阻断性问题。",
    ),
    "liveness_failed": (
        "The liveness check failed; try again or use an alternative.",
        "活体检测未通过，请重试或使用替代方式。",
    ),
    "liveness_rate_limited": (
        "Too many failed liveness checks from this device; wait.",
        "此设备活体检测失败次数过多，请稍候。",
    ),
    # the server
    "tampered": ("The audit log failed verification.", "审计日志校验失败。"),
    "not_ready": ("A dependency does not answer yet.", "依赖服务尚未就绪。"),
    # retryable (503 with Retry-After)
    "unavailable": ("The server cannot do this now; try again shortly.", "服务器暂时无法处理，请稍后重试。"),
    "decoder_busy": (
        "The server is decoding too many images; try again.",
        "服务器正在解码的图像过多，请重试。",
    ),
    "hub_unreachable": ("The hub does not answer; try again.", "中心节点无响应，请稍后重试。"),
    "engine_unavailable": (
        "The face engine is restarting; try again shortly.",
        "人脸引擎正在重启，请稍后重试。",
    ),
    "method_not_allowed": (
        "This path does not take that method.",
        "此路径不支持该请求方法。",
    ),
    "http_error": ("The request could not be handled.", "无法处理该请求。"),
    "internal": ("Something went wrong inside facegate.", "facegate 内部出错。"),
}  # fmt: skip

KIND_CODES = {"http": "http_error"}  # a problem type whose default code is not its slug with underscores


def code_of(kind: str, status: int) -> str:
    """The default code of a problem of type `kind` (an error that carries no more specific one)."""
    if status == 405:
        return "method_not_allowed"
    return KIND_CODES.get(kind, kind.replace("-", "_"))


def sentence(code: str, language: str) -> str:
    """The code's sentence in `language` (zh-CN or en); an unknown code reads as an internal error."""
    english, chinese = CODES.get(code, CODES["internal"])
    return chinese if language.startswith("zh") else english


def language(accept_language: str | None) -> str:
    """zh-CN when the request's Accept-Language ranks Chinese above English, else en."""
    return from_accept_language(accept_language) or "en"


__all__ = ["CODES", "REFUSAL_CODES", "code_of", "language", "sentence"]
