"""facegate's own policies (FG-), stricter than the law: each names the law it serves and the setting that turns it
off with a recorded justification; findings never present them as statutory duties."""

from collections.abc import Iterator

from facegate.policy import facts
from facegate.policy.rule import CheckContext, Rule, Violation
from facegate.policy.spec import Deployment

CN = ("cn2025",)


def _policy(rule_id: str, serves: str, setting: str) -> str:
    return (
        f"(facegate policy {rule_id}, stricter than {serves}; turn it off with setting {setting} and a justification)"
    )


def _policy_zh(rule_id: str, serves: str, setting: str) -> str:
    return f"（facegate 政策 {rule_id}，严于 {serves}；可通过设置 {setting} 并附理由关闭）"


def minors_no_identification(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """FG-1: under-14s' facial data is not used for 1:N identification."""
    if not ctx.settings.get("fg.minors_no_identification"):
        return
    if spec.modality == "identification" and facts.minors_expected(spec, ctx.settings.get("minors.unknown_age")):
        yield Violation(
            "modality",
            "under-14s are expected and the deployment searches 1:N; use 1:1 verification (e.g. a pupil card plus "
            "face) or keep children out of the gallery "
            + _policy("FG-1", "CN25-7c and PIPL-31", "fg.minors_no_identification"),
            zh="预计有不满十四周岁者，且该部署进行 1:N 检索；请改用 1:1 验证（如学生卡加人脸），或不将儿童纳入人脸库"
            + _policy_zh("FG-1", "CN25-7c 和 PIPL-31", "fg.minors_no_identification"),
        )


def minors_on_device(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """FG-2: under-14s' facial data stays on the device and is provided to no recipient."""
    if not ctx.settings.get("fg.minors_on_device_only"):
        return
    if (spec.off_device or spec.recipients) and facts.minors_expected(spec, ctx.settings.get("minors.unknown_age")):
        yield Violation(
            "storage.location",
            "under-14s are expected and their facial data leaves the device or goes to a recipient; keep it on the "
            f"device (storage.location: device) with no recipients "
            f"{_policy('FG-2', 'CN25-7c and CN25-8a/b', 'fg.minors_on_device_only')}",
            zh="预计有不满十四周岁者，其人脸信息离开设备或提供给接收方；请将其保存在设备内"
            "（storage.location: device）且不设接收方"
            + _policy_zh("FG-2", "CN25-7c 和 CN25-8a/b", "fg.minors_on_device_only"),
        )


RULES: tuple[Rule, ...] = (
    Rule("FG-1", "No 1:N identification of under-14s (facegate policy)", "BLOCK", "S", CN,
         check=minors_no_identification, serves=("CN25-7c", "PIPL-31"), setting="fg.minors_no_identification"),
    Rule("FG-2", "Under-14s' facial data stays on the device, with no recipients (facegate policy)", "BLOCK", "S",
         CN, check=minors_on_device, serves=("CN25-7c", "CN25-8a/b"), setting="fg.minors_on_device_only"),
    Rule("FG-3", "No face-recognition prompt for 48 hours after a refusal (facegate policy)", "BLOCK", "S", CN,
         enforced_at=("gate",), serves=("NDSR-22", "GBT41819"), setting="reprompt_block_hours", questions=("Q11",)),
    Rule("FG-4", "No facial data in logs, audit entries, telemetry, errors or dumps (facegate policy)", "BLOCK", "S",
         CN, enforced_at=("audit", "vault"), serves=("PIPL-51", "CN25-14a–d"), note="not configurable"),
    Rule("FG-5", "New enrollments stop while a filing is overdue (facegate policy)", "BLOCK", "S", CN,
         enforced_at=("gate",), serves=("CN25-15c",), setting="filing.on_overdue", questions=("Q7",)),
)  # fmt: skip
