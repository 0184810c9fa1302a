"""The two languages facegate speaks (simplified Chinese and English), and which one a tag or a request's
`Accept-Language` names: the API's problem titles and the web pages read the same choice."""

ZH_CN, EN = "zh-CN", "en"
LANGUAGES = (ZH_CN, EN)


def supported(tag: str | None) -> str | None:
    """The supported language a tag (`zh`, `zh-Hans-CN`, `en-US`, ...) names, if any."""
    tag = (tag or "").strip().lower()
    if tag == "zh" or tag.startswith("zh-") or tag.startswith("zh_"):
        return ZH_CN
    if tag == "en" or tag.startswith("en-") or tag.startswith("en_"):
        return EN
    return None


def from_accept_language(header: str | None) -> str | None:
    """The supported language the browser ranks highest in `Accept-Language`, if it names one."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        language = supported(tag)
        if language and weight > 0:
            ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else None
