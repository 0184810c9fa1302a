"""The console and portal in Chinese and English; the audit page's filters and pages; the keys' states."""

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from test_api_fixtures import OFFICE, Env, make_env

from facegate.policy.vocabulary import label as spec_label
from facegate.web import i18n

TEMPLATES = Path(i18n.__file__).parent / "templates"
SOURCE = re.compile(r'\b(?:t|plural\([^,()]+,)\(?\s*"((?:[^"\\]|\\.)+)"')
MACRO_LABEL = re.compile(r'\{\{ (?:text|area|select|check)\("[^"]+", "([^"]+)"(?:, "([^"]+)")?')


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def policy_label(value: str) -> str:
    return spec_label(value, "zh")


def sign_in(env: Env, who: str) -> None:
    assert env.client.post("/console/login", data={"api_key": env.keys[who]}).status_code == 200


def test_every_template_sentence_has_its_chinese() -> None:
    missing = set()
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        found = SOURCE.findall(text) + [g for m in MACRO_LABEL.findall(text) for g in m if g]
        missing |= {f"{path.name}: {s}" for s in found if s not in i18n.WORDS}
    assert not missing, "add these to facegate/web/catalogue.py ZH:\n" + "\n".join(sorted(missing))


@pytest.mark.parametrize(
    ("header", "region", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "CN-SH", "en"),
        ("fr-FR, zh-TW;q=0.5", None, "zh-CN"),
        ("", "CN-SH", "zh-CN"),
        ("", "US-IL", "en"),
        ("de-DE", None, "en"),
        ("en;q=0, zh;q=0.1", None, "zh-CN"),
    ],
)
def test_the_language_follows_the_browser_then_the_handlers_region(header: str, region: str, expected: str) -> None:
    from starlette.requests import Request

    headers = [(b"accept-language", header.encode())] if header else []
    request = Request({"type": "http", "query_string": b"", "headers": headers, "path": "/"})
    assert i18n.choose(request, region) == expected


def test_the_switch_sets_a_cookie_that_every_later_page_reads(env: Env) -> None:
    sign_in(env, "admin")
    english = env.client.get("/console").text
    assert '<html lang="en">' in english and "Deployments" in english and 'href="/console?lang=zh-CN"' in english
    chinese = env.client.get("/console?lang=zh-CN")
    assert chinese.cookies.get(i18n.COOKIE) == "zh-CN"
    assert '<html lang="zh-CN">' in chinese.text and "部署" in chinese.text and "退出登录" in chinese.text
    later = env.client.get("/console/keys").text  # no ?lang: the cookie decides, even against Accept-Language: en
    assert "API 密钥" in later and "有效" in later and 'href="/console/keys?lang=en"' in later
    assert '<html lang="en">' in env.client.get("/console/keys?lang=en").text


def test_a_browser_asking_for_chinese_gets_labels_in_chinese(env: Env) -> None:
    sign_in(env, "admin")
    page = env.client.get(f"/console/deployments/{OFFICE}", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    purpose, modality = policy_label("access_control"), policy_label("verification")  # the spec's vocabularies
    assert purpose in page and modality in page and "已启用" in page and "停用（删除所有模板）" in page
    assert f"{policy_label('private_premises')}、{policy_label('lobby')}" in page  # the location type, not `lobby`
    assert "access_control" not in page.split("<main", 1)[1].split("</main>")[0].replace('value="', "")


def test_the_portal_reads_chinese_for_a_chinese_handler_when_the_browser_does_not_say(env: Env) -> None:
    env.client.post("/api/v1/subjects", json={"id": "obama"}, headers=env.auth("operator"))
    token = env.svc.make_link("obama", OFFICE, timedelta(hours=1))
    page = env.client.get(f"/portal/{token}", headers={"Accept-Language": ""}).text
    assert '<html lang="zh-CN">' in page and "同意并使用人脸" in page and f"改用{policy_label('access_card')}" in page
    english = env.client.get(f"/portal/{token}").text  # the test client's browser asks for English
    assert "Consent and use my face" in english and "Use access card instead" in english


def test_counts_are_said_in_the_singular_and_the_plural() -> None:
    with i18n.speaking(i18n.EN):
        assert i18n.plural(1, "{n} entry", "{n} entries") == "1 entry"
        assert i18n.plural(2, "{n} entry", "{n} entries") == "2 entries"
    with i18n.speaking(i18n.ZH_CN):
        assert i18n.plural(1, "in {n} deployment.", "in {n} deployments.") == "分布在 1 个部署中。"
        assert i18n.t("not in the catalogue {x}", x=1) == "not in the catalogue 1"


def test_the_audit_page_filters_and_pages(env: Env) -> None:
    sign_in(env, "auditor")
    h = env.auth("operator")
    for n in range(60):
        env.client.post("/api/v1/subjects", json={"id": f"s{n:02d}"}, headers=h)
    env.client.post(f"/api/v1/deployments/{OFFICE}/subjects/s07/consents", json={}, headers=h)  # refused: no notice
    first = env.client.get("/console/audit").text
    rows = re.findall(r'<tr class="(allow|refuse)">', first)
    assert len(rows) == 50 and 'id="older-link"' in first and 'id="newest-link"' not in first
    older = re.search(r'id="older-link" href="([^"]+)"|href="([^"]+)" id="older-link"', first)
    second = env.client.get(older.group(1) or older.group(2)).text.replace("&amp;", "&")
    assert 'id="newest-link"' in second and "<td>s00</td>" in second and "<td>s59</td>" not in second
    only = env.client.get("/console/audit", params={"subject": "s07"}).text
    assert only.count("<td>s07</td>") == 2 and "<td>s08</td>" not in only
    refused = env.client.get("/console/audit", params={"decision": "refuse", "operation": "consent.give"}).text
    assert re.findall(r'<tr class="(allow|refuse)">', refused) == ["refuse"]
    today = date.fromisoformat(re.search(r"<td>(\d{4}-\d\d-\d\d) ", first).group(1))  # the day it was recorded
    assert (
        "No entries match." in env.client.get("/console/audit", params={"until": str(today - timedelta(days=1))}).text
    )
    assert "<td>s59</td>" in env.client.get("/console/audit", params={"since": str(today), "until": str(today)}).text
    assert env.client.get("/console/audit", params={"since": "yesterday"}).status_code == 422


def test_the_keys_page_shows_each_keys_state_and_revoking_asks_first(env: Env) -> None:
    sign_in(env, "admin")
    victim = env.svc.keys.create("auditor", env.clock(), "old")[0]
    env.svc.keys.revoke(victim.id, env.clock())
    page = env.client.get("/console/keys").text
    row = re.search(rf'<tr id="key-{victim.id}">.*?</tr>', page, re.S).group(0)
    assert 'class="state revoked"' in row and "revoke-" not in row
    active = re.findall(r'class="state active"', page)
    assert len(active) == len(env.keys) and page.count('<details class="confirm">') == len(env.keys)  # the fixture's


def test_a_key_past_its_expiry_is_shown_expired_and_refused(env: Env) -> None:
    sign_in(env, "admin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', env.client.get("/console/keys").text).group(1)
    page = env.client.post("/console/keys", data={"csrf": csrf, "role": "auditor", "name": "visitor", "days": "2"}).text
    secret = re.search(r"fgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", page).group(0)
    key_id = secret.split("_")[1]
    assert env.client.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    row = re.search(rf'<tr id="key-{key_id}">.*?</tr>', env.client.get("/console/keys").text, re.S).group(0)
    assert 'class="state active"' in row and "until" in row
    env.clock.advance(hours=49)
    assert env.client.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    sign_in(env, "admin")  # the console's own session lasts 8 hours
    csrf = re.search(r'name="csrf" value="([^"]+)"', env.client.get("/console/keys").text).group(1)
    row = re.search(rf'<tr id="key-{key_id}">.*?</tr>', env.client.get("/console/keys").text, re.S).group(0)
    assert 'class="state expired"' in row and "revoke-" not in row
    refused = env.client.post("/console/keys", data={"csrf": csrf, "role": "auditor", "days": "0"}).text
    assert "whole number of days" in refused


def test_a_reviewer_key_is_named_in_chinese_on_the_keys_page(env: Env) -> None:
    env.svc.keys.create("reviewer", env.clock(), "dpo")
    sign_in(env, "admin")
    page = env.client.get("/console/keys", headers={"Accept-Language": "zh-CN"}).text
    assert "<td>审核人</td>" in page and "<td>reviewer</td>" not in page


def test_the_problem_type_pages_read_in_chinese(env: Env) -> None:
    from facegate.api.problems import TYPES

    for kind in ("refused", "liveness-failed", "forbidden", "invalid-input", "not-found", "internal"):
        page = env.client.get(f"/problems/{kind}", headers={"Accept-Language": "zh-CN"}).text
        title, meaning = TYPES[kind]
        assert title not in page and meaning not in page, kind
    assert "规则拒绝" in env.client.get("/problems/refused", headers={"Accept-Language": "zh-CN"}).text
