"""Every console page and problem page, read in Chinese on a home seeded as the demo seeds it, holds no English
sentence and ends no Chinese sentence with an ASCII full stop. What the operator wrote in a spec (its name,
purpose, handler) is the operator's own text and is left out; so are code, IDs, rule IDs and units."""

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from test_api_fixtures import OFFICE, Env, make_env

from facegate.api.demo import seed
from facegate.api.problems import TYPES
from facegate.web import session

# Three or more ASCII words in a row (a word: letters, maybe with an apostrophe; IDs, paths, versions and codes
# with digits, dots, slashes, underscores or dashes are not words).
ENGLISH = re.compile(r"(?<![\w./@:#'-])(?:[A-Za-z][a-z'’]*[,;:]?[ \t]+){2,}[A-Za-z][a-z'’]*(?![\w/@-])")
# An ASCII full stop right after Chinese text (or its closing bracket/quote) ends a Chinese sentence wrongly.
STOP = re.compile(r"[\u3400-\u9fff）」”][.](?!\w)")
ALLOWED = ("facegate", "Swagger UI", "ReDoc", "Accept-Language", "application/problem+json", "English")


def visible_text(page: str) -> str:
    """The page's text as a reader sees it, without markup, code, scripts or text marked as English."""
    body = page.split("<body", 1)[-1]
    body = re.sub(r"<(script|style|code|pre|textarea)\b[^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r'<(\w+)[^>]*\blang="en"[^>]*>.*?</\1>', " ", body, flags=re.S)  # an original, marked so
    body = re.sub(r"</?(?:a|strong|em|span|abbr|small|b|i)\b[^>]*>", "", body)  # inline: the sentence goes on
    body = re.sub(r"<[^>]+>", "\n", body)
    return html.unescape(body)


def spec_texts(env: Env) -> list[str]:
    """Every string an operator wrote in a registered or submitted spec, longest first."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
            if all(isinstance(item, str) for item in value):
                found.append(", ".join(value))  # a list the documents write out in one line

    for row in env.svc.deployments():
        walk(env.svc.deployment(row["id"])["spec"])
    return sorted({s.strip() for s in found if len(s.strip()) > 3})


def english_in(page: str, operators: list[str]) -> list[str]:
    """English sentences and ASCII full stops ending Chinese sentences on a page read in Chinese."""
    text = visible_text(page)
    for token in ALLOWED:
        text = text.replace(token, " ")
    english = [m.group(0) for m in ENGLISH.finditer(text)]
    english = [e for e in english if not any(e in written for written in operators)]  # the operator's own words
    return english + [f"full stop: {m.group(0)}" for m in STOP.finditer(text)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, dict[str, str]]]:
    environment = make_env(Path(tmp_path_factory.mktemp("chinese")))
    env = next(environment)
    seeded = seed(env.svc, lambda _: None)
    yield env, {**seeded.keys, "portal": seeded.portal_token}
    next(environment, None)


def pages(env: Env) -> list[str]:
    """Every console page an admin reaches, for every deployment, and the problem type pages."""
    deployments = [d["id"] for d in env.svc.deployments()]
    found = ["/console", "/console/deployments/new", "/console/audit", "/console/oversight", "/console/keys",
             "/console/devices", "/console/cameras", "/console/subjects", f"/console/subjects?deployment={OFFICE}",
             "/console/rules/CN25-13a", "/console/rules/PIPL-29"]  # fmt: skip
    for d in deployments:
        found += [f"/console/deployments/{d}", f"/console/deployments/{d}/notice"]
        found += [f"/console/deployments/{d}/impact-assessment", f"/console/try/{d}"]
    return found + [f"/problems/{kind}" for kind in TYPES]


def flash(env: Env, message: str) -> str:
    """The query that shows `message` in the status line, signed for the client's console session."""
    cookie = f"{session.COOKIE}={env.client.cookies.get(session.COOKIE)}".encode()
    return session.flash(Request({"type": "http", "headers": [(b"cookie", cookie)]}), env.svc, message)


@pytest.mark.slow
def test_no_english_sentence_on_a_chinese_page(demo: tuple[Env, dict[str, str]]) -> None:
    env, keys = demo
    operators, portal = spec_texts(env), keys["portal"]
    env.client.post("/console/login", data={"api_key": keys["demo-admin"]})
    env.client.get("/console?lang=zh-CN")  # the switch: every later page reads Chinese, whatever the browser says
    leftovers = {}
    for path in pages(env):
        answer = env.client.get(path)
        assert answer.status_code == 200 and '<html lang="zh-CN">' in answer.text, path
        if found := english_in(answer.text, operators):
            leftovers[path] = found
    said = {  # what an action says back, and an error page: in Chinese, or the gate's English marked as such
        f"/console/deployments/{OFFICE}?{flash(env, 'retire: retired')}": "停用部署：已停用",
        f"/console/deployments/{OFFICE}?{flash(env, 'refused: the rules say no here')}": "规则拒绝：",
        f"/console/deployments/{OFFICE}?"
        + flash(env, "refused: subject x has given no separate consent [CN25-6a/b]; alternatives: access_card"):
        "依据规则：CN25-6a/b（单独、自愿",  # all in Chinese
        "/console/deployments/no-such-one": "没有部署 no-such-one。",
    }
    for path, words in said.items():
        answer = env.client.get(path)
        assert words in answer.text and "given no separate consent" not in answer.text, path  # nothing folded
        if found := english_in(answer.text, operators):
            leftovers[path] = found
    env.client.post("/console/login", data={"api_key": keys["demo-operator"]})  # the operator's own forms too
    for path in ("/console/subjects", f"/console/try/{OFFICE}", "/console", f"/portal/{portal}"):
        answer = env.client.get(path)
        assert answer.status_code == 200 and '<html lang="zh-CN">' in answer.text, path
        if found := english_in(answer.text, operators):
            leftovers[f"{path} (operator)"] = found
    csrf = re.search(r'name="csrf" value="([^"]+)"', env.client.get("/console/deployments/new").text).group(1)
    form = {"csrf": csrf, "id": "Bad ID", "storage.retention_days": "20", "profiles": "cn2025"}
    half_done = env.client.post("/console/deployments/check", data=form).text  # what is still missing, in Chinese
    assert "必填项缺失" in half_done and "格式不符合要求" in half_done
    if found := english_in(half_done, operators):
        leftovers["the form's findings"] = found
    assert not leftovers, "\n".join(f"{p}: {found}" for p, found in leftovers.items())


@pytest.mark.slow
def test_a_sentence_missing_its_chinese_is_caught_on_its_page(
    demo: tuple[Env, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from facegate.web import i18n

    env, keys = demo
    env.client.post("/console/login", data={"api_key": keys["demo-admin"]})
    intro = next(english for english in i18n.WORDS if english.startswith("Every deployment with its status"))
    monkeypatch.delitem(i18n.WORDS, intro)  # as if the catalogue had lost it
    found = english_in(env.client.get("/console?lang=zh-CN").text, spec_texts(env))
    assert found and all(f in intro for f in found), found


def test_the_check_catches_a_planted_english_sentence_and_full_stop() -> None:
    assert english_in("<body><p>部署已启用</p><code>facegate check spec.yaml</code> <p>CN25-13a</p>", []) == []
    assert english_in("<body><p>部署 the deployment is active</p>", []) == ["the deployment is active"]
    assert english_in("<body><p>部署已启用.</p>", []) == ["full stop: 用."]
    assert english_in('<body><p lang="en">the original text stays</p><p>HQ lobby staff entry</p>',
                      ["HQ lobby staff entry"]) == []  # fmt: skip


def strings(value: Any) -> list[str]:
    """Every string in a spec's data (what its operator wrote)."""
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple) else []
    return [s for item in items for s in strings(item)]


def chinese_findings() -> list[tuple[str, str, str, list[str]]]:
    """(example, rule, message_zh, the operator's texts) of every finding of the example specs, under CN25 with the
    CN23 draft, under BIPA and under the EU AI Act."""
    from datetime import date

    from gate_fixtures import EXAMPLES

    from facegate import policy

    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        if path.name == "expected.yaml":
            continue
        spec = policy.parse_spec(path.read_text())
        written = strings(spec.model_dump(mode="json"))
        for profiles in (("cn2025", "cn2023-draft"), ("bipa",), ("eu-ai-act",)):
            report = policy.evaluate(spec, profiles, today=date(2026, 12, 4))
            found += [(path.stem, f.rule, f.message_zh, written) for f in report.findings]
    return found


def test_every_finding_of_the_examples_is_worded_in_chinese() -> None:
    found = chinese_findings()
    rules = {rule for _, rule, _, _ in found}
    assert len(rules) >= 30 and any(r.startswith("BIPA") for r in rules) and any(r.startswith("GDPR") for r in rules)
    untranslated = [(example, rule) for example, rule, zh, _ in found if not zh]
    assert untranslated == []
    english = {(ex, rule): e for ex, rule, zh, written in found if (e := english_in(f"<body><p>{zh}</p>", written))}
    assert english == {}


# A spec's token in a Chinese sentence: a value (`hotel_room`, `cloud`) or a dotted field path (`purpose.least_impact`).
TOKEN = re.compile(r"(?<![\w./:-])[a-z][a-z0-9]*(?:[._][a-z0-9]+)*(?![\w/-])")
# A token may stand in an instruction that says what to write where: "请在 x.y 中", "设 x: value", "将 x.y 设为".
INSTRUCTION = re.compile(r"(?:在|设|设置|将|或|[\w.]+:) ?$")


def raw_tokens(zh: str, written: list[str]) -> list[str]:
    """The spec's values and field paths a Chinese finding shows as words rather than in its Chinese labels."""
    from facegate.policy import vocabulary

    values = {t.value for terms in vocabulary.VOCABULARIES.values() for t in terms}
    found = []
    for match in TOKEN.finditer(zh):
        token, before, after = match.group(0), zh[: match.start()], zh[match.end() :]
        if any(token in w for w in written) or token.endswith((".md", ".yaml")):  # the operator's words, a document
            continue
        if INSTRUCTION.search(before) or after.startswith(":"):
            continue
        if "." in token or token in values:
            found.append(token)
    return found


def test_no_finding_of_the_examples_shows_a_raw_value_or_field_path_in_chinese() -> None:
    raw = {(ex, rule): tokens for ex, rule, zh, written in chinese_findings() if (tokens := raw_tokens(zh, written))}
    assert raw == {}
    assert raw_tokens("是公共场所内的私密空间（hotel_room）", []) == ["hotel_room"]  # the check catches both kinds
    assert raw_tokens("请确保 purpose.least_impact 说明为何", []) == ["purpose.least_impact"]
    assert raw_tokens("payment 中个人已有已知账户", []) == ["payment"]
    assert raw_tokens("请在 purpose.least_impact 中说明；请设 raw_images: discard", []) == []


def test_a_private_space_finding_names_the_location_in_chinese() -> None:
    from datetime import date

    from gate_fixtures import EXAMPLES

    from facegate import policy

    spec = policy.parse_spec((EXAMPLES / "bathhouse-zh.yaml").read_text())
    report = policy.evaluate(spec, ("cn2025",), today=date(2026, 12, 4))
    zh = next(f.message_zh for f in report.findings if f.rule == "CN25-13a")
    assert "公共更衣室" in zh and "public_changing_room" not in zh and "location.type" not in zh, zh


def test_a_chinese_page_shows_the_finding_in_chinese_not_the_folded_english(
    demo: tuple[Env, dict[str, str]],
) -> None:
    env, keys = demo
    env.client.post("/console/login", data={"api_key": keys["demo-admin"]})
    shown = 0
    for row in env.svc.deployments():
        findings = [f for f in env.svc.deployment(row["id"])["report"]["findings"] if f["message_zh"]]
        if not findings:
            continue
        text = visible_text(env.client.get(f"/console/deployments/{row['id']}?lang=zh-CN").text)
        for f in findings:
            assert f["message_zh"] in text and f["message"] not in text, (row["id"], f["rule"])
            shown += 1
    assert shown >= 2


def test_every_rule_note_has_its_chinese_and_the_rule_page_shows_it(demo: tuple[Env, dict[str, str]]) -> None:
    from facegate.api.rule_words import RULE_NOTES_ZH
    from facegate.policy.rules import RULES

    notes = {rule.id: rule.note for rule in RULES if rule.note}
    assert set(RULE_NOTES_ZH) == set(notes)  # a new note, or one gone, shows here
    assert all(english_in(f"<body><p>{zh}</p>", []) == [] for zh in RULE_NOTES_ZH.values())
    env, keys = demo
    env.client.post("/console/login", data={"api_key": keys["demo-admin"]})
    text = visible_text(env.client.get("/console/rules/CN25-12a?lang=zh-CN").text)
    assert RULE_NOTES_ZH["CN25-12a"] in text and notes["CN25-12a"] not in text
