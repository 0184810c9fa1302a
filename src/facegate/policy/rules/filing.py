"""CN25-15a/b at check time: a spec that expects a gallery at or near the filing threshold hears of the duty before
anyone is enrolled (the running count, the filing task and the enrollment stop are oversight's)."""

from collections.abc import Iterator

from facegate.policy.rule import CheckContext, Violation
from facegate.policy.spec import Deployment

COUNTED = (
    "facegate counts each person once across the handler's deployments and devices every day, opens the filing task "
    "when the count is reached and refuses new enrollments while it is overdue (`facegate oversight status`)"
)
COUNTED_ZH = "facegate 每日按处理者统计存储的个人（跨部署和设备只计一次），达到时开启备案任务，逾期未备案则拒绝新登记"


def expected_filing(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN25-15a/b: the expected gallery reaches (or nears) the profile's filing threshold of stored individuals."""
    filing = ctx.profile.numbers.get("filing") or {}
    threshold, size = filing.get("threshold_individuals"), spec.accuracy.expected_gallery_size
    if threshold is None or size is None:
        return
    first = threshold if filing.get("operator", ">=") == ">=" else threshold + 1
    days = filing.get("deadline_working_days", 30)
    if size >= first:
        yield Violation(
            "accuracy.expected_gallery_size",
            f"{size:,} people expected: once the handler stores facial information of {threshold:,} individuals, it "
            f"must file with the provincial-level cyberspace administration within {days} working days; {COUNTED}",
            zh=f"预计 {size:,} 人：处理者存储的人脸信息达到 {threshold:,} 人时，须在 {days} 个工作日内向省级以上"
            f"网信部门备案；{COUNTED_ZH}",
        )
    elif size >= min(filing.get("early_warning_levels") or [first]):
        yield Violation(
            "accuracy.expected_gallery_size",
            f"{size:,} people expected, near the filing threshold of {threshold:,} stored individuals (counted across "
            f"all of the handler's deployments, so others may carry it over); {COUNTED}",
            zh=f"预计 {size:,} 人，接近 {threshold:,} 人的备案门槛（按处理者的全部部署合计）；{COUNTED_ZH}",
        )
