"""The web pages' two languages: which one a request reads, and the words of the page in it.

Templates call `t("English text", name=value)` for a sentence, `plural(n, "{n} entry", "{n} entries")` for a
count, and `label("purpose", "access_control")` for an enum value. English is the source text; the Chinese
text is looked up in `facegate.web.catalogue.ZH` (a missing entry shows the English, never an error).
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup

from facegate.api.codes import CODES
from facegate.api.problem_words import PROBLEM_ZH, problem_zh
from facegate.api.rule_words import RULE_NOTES_ZH, RULE_TITLES_ZH
from facegate.errors import RefusedError
from facegate.languages import EN, LANGUAGES, from_accept_language, supported
from facegate.languages import ZH_CN as ZH_CN  # pages ask i18n.choose(...) == i18n.ZH_CN
from facegate.policy import vocabulary as spec_words

from .catalogue import ZH
from .labels import LABELS
from .subject_words import SUBJECT_ZH
from .trial_words import TRIAL_ZH

WORDS = {**PROBLEM_ZH, **TRIAL_ZH, **SUBJECT_ZH, **ZH}  # every Chinese sentence a page may say, keyed by its English

NAMES = {ZH_CN: "中文", EN: "English"}
# Console messages with a value in them (an ID the page was asked for), as patterns, in Chinese.
SAID_ZH = (
    (r"No deployment '([^']*)' that you may see\.", "没有您可以查看的部署 {0}。"),
    (r"No deployment '([^']*)'\.", "没有部署 {0}。"),
    (r"No rule '([^']*)' in the catalogue\.", "规则目录中没有 {0}。"),
    (r"The field (\S+) is not a date: dates are written YYYY-MM-DD\.", "字段 {0} 不是日期：日期格式为 YYYY-MM-DD。"),
    (r"The field (\S+) is outside 1970-01-01 to 9998-12-31\.", "字段 {0} 超出 1970-01-01 至 9998-12-31 的范围。"),
    (r"(?s)The field (\S+) is not accepted: .*", "字段 {0} 的值不被接受，未做任何处理。"),
    (r"The upload is too large: request body is over the limit of ([\d,]+) bytes; a photo may be at most 20 MiB\. "
     r"Nothing was done\.", "上传内容过大：请求体超过 {0} 字节的上限；照片最大 20 MiB。未做任何处理。"),
    (r"(?s)The form cannot be read: (.*)\. Nothing was done\.", "无法读取表单：{0}。未做任何处理。"),
    (r"This page does not take a (\w+) request\.", "此页面不接受 {0} 请求。"),
)
COOKIE = "facegate_lang"
COOKIE_AGE = 365 * 24 * 3600
_current: ContextVar[str] = ContextVar("facegate_lang", default=EN)
# The spec's own vocabularies (facegate.policy.vocabulary) label these; web.labels' LABELS label the rest.
POLICY_VOCABULARIES = {
    "purpose": "purpose", "setting": "setting", "modality": "modality", "legal_basis": "legal_basis",
    "storage": "storage_location", "raw_images": "raw_images", "alternative": "alternative",
    "location_type": "location_type",
}  # fmt: skip
_POLICY_TERMS = {
    mine: {term.value: term for term in spec_words.VOCABULARIES[theirs]} for mine, theirs in POLICY_VOCABULARIES.items()
}


def choose(request: Request, region: str | None = None) -> str:
    """The language of this request's page.

    In order: an explicit choice (`?lang=` or the switch's cookie), then the browser's `Accept-Language` when it
    names Chinese or English, then the handler's region (`CN-xx` reads Chinese), then English.
    """
    for explicit in (request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if language := supported(explicit):
            return language
    if language := from_accept_language(request.headers.get("accept-language")):
        return language
    if region and region.upper().startswith("CN"):
        return ZH_CN
    return EN


def remember(request: Request, response: Response) -> None:
    """Keep a language picked with the switch (`?lang=`) in a cookie, so every later page reads it."""
    language = supported(request.query_params.get("lang"))
    if language and request.cookies.get(COOKIE) != language:
        response.set_cookie(COOKIE, language, max_age=COOKIE_AGE, samesite="lax", path="/", httponly=True)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Render in `language` within this block (the templates' `t`, `plural` and `label` read it)."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> str:
    """The language being rendered."""
    return _current.get()


def _in_language(text: str) -> str:
    return WORDS.get(text, text) if _current.get() == ZH_CN else text


def t(text: str, /, **values: Any) -> str:
    """`text` in the current language, with `{name}` fields filled from `values`."""
    text = _in_language(text)
    return text.format(**values) if values else text


def plural(n: int, one: str, other: str, /, **values: Any) -> str:
    """A count in words: `one` or `other` in English (Chinese has one form, keyed by `one`); `{n}` is the count."""
    if _current.get() == ZH_CN:
        return WORDS.get(one, one).format(n=n, **values)
    return (one if n == 1 else other).format(n=n, **values)


def label(vocabulary: str, value: object) -> str:
    """The label of an enum value (a purpose, a status, a role...) in the current language."""
    if value is None:
        return ""
    key = str(value)
    term = _POLICY_TERMS.get(vocabulary, {}).get(key)
    if term is not None:
        return term.zh if _current.get() == ZH_CN else term.en
    labels = LABELS.get(vocabulary, {}).get(key)
    if labels is None:
        return key.replace("_", " ")
    return labels[1] if _current.get() == ZH_CN else labels[0]


def chinese() -> bool:
    """Whether the page is being rendered in Chinese."""
    return _current.get() == ZH_CN


def rule_title(rule_id: str, english: str) -> str:
    """A rule's title in the current language (`english` as the rule has it)."""
    return RULE_TITLES_ZH.get(rule_id, english) if _current.get() == ZH_CN else english


def rule_note(rule_id: str, english: str) -> str | None:
    """A rule's note in the current language; None on a Chinese page when the note has no Chinese yet."""
    return RULE_NOTES_ZH.get(rule_id) if _current.get() == ZH_CN else english


def room(where: str) -> str:
    """Where a rule is enforced (`check`, `gate`, ..., `via <rule>`) in the current language."""
    rule = where.removeprefix("via ")
    if rule != where:
        return f"经由 {rule}" if _current.get() == ZH_CN else where
    return label("room", where)


def switch_links(request: Request) -> list[dict[str, Any]]:
    """The language switch: a link to this page in each language, the current one marked."""
    here, params = current(), dict(request.query_params)
    links = []
    for lang in LANGUAGES:
        href = request.url.path + "?" + urlencode({**params, "lang": lang})
        links.append({"lang": lang, "name": NAMES[lang], "href": href, "current": lang == here})
    return links


def t_html(text: str, /, **values: Any) -> Markup:
    """`t` for templates: the text escaped, values escaped unless already markup (a verdict badge, a link)."""
    return Markup.escape(_in_language(text)).format(**values) if values else Markup.escape(_in_language(text))


def said_html(text: str) -> Markup:
    """A message that may come from the gate in English (a refusal's detail, an action's outcome): in Chinese, the
    catalogue's sentence where it has one, an action's outcome in labels, else the English marked `lang="en"`."""
    if _current.get() != ZH_CN or text in WORDS:
        return t_html(text)
    for pattern, chinese in SAID_ZH:
        if found := re.fullmatch(pattern, text):
            return Markup.escape(chinese.format(*found.groups()))
    done = re.fullmatch(r"(activate|retire): (\w+)", text)
    if done:
        return Markup.escape(f"{label('operation', 'deployment.' + done[1])}：{label('outcome', done[2])}")
    head, refused, detail = text.partition("refused: ")
    if refused and not head:
        said = REFUSAL.fullmatch(detail)
        if said is None:
            return Markup.escape(WORDS["Refused by the rules"] + "：" + CODES["refused"][1])
        rules = [r.strip() for r in said["rules"].split(",") if r.strip()]
        alternatives = [a.strip() for a in (said["alternatives"] or "").split(",") if a.strip()]
        return Markup.escape(refusal_zh(RefusedError("", rules).code, rules, alternatives))
    return Markup('<span lang="en">{}</span>').format(text)


# A refusal as facegate.errors.RefusedError words it: `message [rule, rule]; alternatives: a, b`.
REFUSAL = re.compile(r"(?s)(?P<message>.*?) ?\[(?P<rules>[^\]]*)\](?:; alternatives: (?P<alternatives>.*))?")


def refusal_zh(code: str, rule_ids: list[str], alternatives: list[str], detail: str = "") -> str:
    """A refusal or bad input in Chinese, in full, as the API words it for a zh caller (the gate's own sentence
    where the catalogue has it in Chinese)."""
    return problem_zh(code, rule_ids, alternatives, WORDS.get(detail))


def plural_html(n: int, one: str, other: str, /, **values: Any) -> Markup:
    """`plural` for templates, escaped as `t_html` is."""
    chosen = WORDS.get(one, one) if _current.get() == ZH_CN else (one if n == 1 else other)
    return Markup.escape(chosen).format(n=n, **values)
