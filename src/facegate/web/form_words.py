"""What the deployment form says is still missing or wrong, in Chinese: each problem is `field: message` (as
facegate.policy words a spec's validation errors); the field stays as code, the message is put in Chinese."""

import re

# (English message, as pydantic or facegate.policy words it) -> Chinese; `{0}`... are the pattern's groups.
MESSAGES: list[tuple[str, str]] = [
    (r"required field is missing", "必填项缺失"),
    (r"not a whole number", "不是整数"),
    (r"unknown field.*", "未知字段"),
    (r"String should match pattern .*", "格式不符合要求"),
    (r"'.*' is not a valid id: .*", "格式不符合要求：ID 为 1 至 63 个字符，只含小写字母、数字和连字符，以字母开头"),
    (r"String should have at most (\d+) characters?", "最多 {0} 个字符"),
    (r"String should have at least (\d+) characters?", "至少 {0} 个字符"),
    (r"Input should be a valid integer.*", "应为整数"),
    (r"Input should be a valid number.*", "应为数字"),
    (r"Input should be a valid date.*", "应为有效日期（YYYY-MM-DD）"),
    (r"Input should be a valid boolean.*", "应为是或否"),
    (r"Input should be greater than or equal to (\S+)", "应大于或等于 {0}"),
    (r"Input should be greater than (\S+)", "应大于 {0}"),
    (r"Input should be less than or equal to (\S+)", "应小于或等于 {0}"),
    (r"Input should be less than (\S+)", "应小于 {0}"),
    (r"Input should be (.+)", "应为以下之一：{0}"),
]


def problem_zh(problem: str) -> tuple[str, str, bool]:
    """A form problem as (field, message in Chinese, whether the message was put in Chinese)."""
    field, sep, message = problem.partition(": ")
    if not sep:
        field, message = "", problem
    for pattern, chinese in MESSAGES:
        found = re.fullmatch(pattern, message.strip())
        if found:
            return field, chinese.format(*found.groups()), True
    return field, message, False
