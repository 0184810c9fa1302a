"""The console and the portal in Debian's Chromium (headless, driven by Playwright); a screenshot of each page."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from gate_fixtures import example, offered
from test_api_fixtures import GALLERY, OFFICE, Env, consenting, make_env, photo, serving

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, str]]:
    """The app served by uvicorn on a free local port, with a consenting and a new subject."""
    environment = make_env(Path(tmp_path_factory.mktemp("browser")))
    env = next(environment)
    consenting(env, "obama")
    env.client.post(f"/api/v1/deployments/{OFFICE}/subjects/obama/enroll", files=photo("obama.jpg"),
                    headers=env.auth("operator"))  # fmt: skip
    env.client.post("/api/v1/subjects", json={"id": "biden"}, headers=env.auth("operator"))
    with serving(env.client.app) as url:
        yield env, url
    next(environment, None)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (make test installs it: scripts/test-chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def link(env: Env, subject: str) -> str:
    return "/portal/" + env.svc.make_link(subject, OFFICE, timedelta(hours=1))


def sign_in(page, base: str, env: Env, who: str = "admin") -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/console")
    page.fill("#api_key", env.keys[who])
    page.click("button[type=submit]")
    page.wait_for_selector("text=Sign out")


def test_portal_first_screen_consent_unticked_alternative_equal(server, page) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    page.goto(base + link(env, "biden"))
    agree = page.locator("#agree")
    assert agree.is_visible() and not agree.is_checked()
    face, other = page.locator("#consent-button"), page.locator("#alternative-button")
    a, b = face.bounding_box(), other.bounding_box()
    assert a["y"] + a["height"] <= 800 and b["y"] + b["height"] <= 800  # both on the first screen
    assert abs(a["height"] - b["height"]) <= 1 and abs(a["width"] - b["width"]) <= 1
    style = "e => [getComputedStyle(e).fontSize, getComputedStyle(e).backgroundColor, getComputedStyle(e).fontWeight]"
    assert face.evaluate(style) == other.evaluate(style)
    shot(page, "portal")
    page.click("#consent-button")  # the box is required: nothing is sent without it
    assert page.locator("#consent-state").inner_text() == "not given"
    page.focus("#agree")
    page.keyboard.press("Space")
    page.focus("#consent-button")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=your consent is recorded")
    assert page.locator("#consent-state").inner_text() == "given"
    shot(page, "portal-consented")


def test_portal_withdrawal_deletes_the_facial_data(server, page) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    page.goto(base + link(env, "obama"))
    assert page.locator("#template-count").inner_text() == "1"
    page.click("#withdraw-button")
    page.wait_for_selector("text=has been deleted")
    assert page.locator("#template-count").inner_text() == "0"
    assert env.svc.gate.access("obama")["facial_data"] == []
    shot(page, "portal-withdrawn")


def test_passkey_set_up_in_the_portal_verifies_at_a_kiosk(server, page) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    env.svc.gate.register(example("office-entry", id="hq-door", alternatives=offered("access_card", "passkey")))
    operator = env.svc.keys.create("operator", env.clock(), "door", ["hq-door"])[1]
    env.svc.gate.add_subject("carol")
    webauthn = page.context.new_cdp_session(page)  # a passkey on this "device": Chromium's virtual authenticator
    webauthn.send("WebAuthn.enable")
    authenticator = {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True,
    }  # fmt: skip
    webauthn.send("WebAuthn.addVirtualAuthenticator", {"options": authenticator})
    localhost = base.replace("127.0.0.1", "localhost")  # a passkey's site is a domain name, never an IP address
    token = env.svc.make_link("carol", "hq-door", timedelta(hours=1))
    page.goto(f"{base}/portal/{token}")
    assert "need a domain name" in page.locator("#passkey-status").inner_text()
    assert not page.locator("#passkey-button").is_visible()
    page.goto(f"{localhost}/portal/{token}")
    page.click("#alternative-button")
    page.wait_for_selector("text=face recognition will not be used for you")
    assert page.locator("#passkey-state").inner_text() == "not set up"
    page.click("#passkey-button")
    page.wait_for_selector("text=Your passkey is set up")
    assert page.locator("#passkey-state").inner_text() == "set up"
    shot(page, "portal-passkey")
    kiosk = """async ([path, key]) => {
        const headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"};
        const asked = await fetch(path + "/options", {method: "POST", headers, body: '{"ceremony": "authenticate"}'});
        const options = PublicKeyCredential.parseRequestOptionsFromJSON(await asked.json());
        const credential = await navigator.credentials.get({publicKey: options});
        const body = JSON.stringify({credential: credential.toJSON()});
        return (await fetch(path + "/verify", {method: "POST", headers, body})).json();
    }"""
    door = "/api/v1/deployments/hq-door/subjects/carol/alternatives/passkey"
    decision = page.evaluate(kiosk, [door, operator])
    assert decision["outcome"] == "verified" and decision["method"] == "passkey", decision
    assert env.svc.gate.access("carol")["facial_data"] == []


def test_portal_reads_at_200_percent(server, browser) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    context = browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2, bypass_csp=True)
    page = context.new_page()
    page.goto(base + link(env, "biden"))
    page.add_style_tag(content="html { font-size: 200% }")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert page.locator("#alternative-button").is_visible()
    shot(page, "portal-200-percent")
    context.close()


def test_deployment_form_shows_a_block_for_a_hotel_room(server, page) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    sign_in(page, base, env)
    page.goto(base + "/console/deployments/new")
    page.fill("#f-id", "harbour-rooms")
    page.fill("[id='f-name']", "Harbour Hotel room locks")
    page.fill("[id='f-handler.name']", "Harbour Hotel Management Co., Ltd.")
    page.select_option("[id='f-purpose.category']", "access_control")
    page.check("#f-modality-verification")
    page.select_option("[id='f-location.setting']", "private_premises")
    page.fill("[id='f-premises_type']", "hotel")
    page.select_option("[id='f-legal_basis']", "separate_consent")
    page.fill("[id='f-alternatives']", "key_card")
    page.fill("[id='f-location.type']", "hotel room")
    page.wait_for_selector("#findings >> text=CN25-13a")
    assert "BLOCK" in page.locator("#findings").inner_text()
    shot(page, "console-deployment-form")
    page.click("#findings >> text=CN25-13a")
    page.wait_for_selector("h1 >> text=CN25-13a")
    shot(page, "console-rule")


def test_console_pages(server, page) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    page.goto(base + "/console/login")
    shot(page, "console-login")
    sign_in(page, base, env)
    shot(page, "console-deployments")
    page.click(f"a[href='/console/deployments/{OFFICE}']")
    page.wait_for_selector("h2 >> text=Findings")
    shot(page, "console-deployment")
    page.goto(base + f"/console/deployments/{OFFICE}/notice")
    shot(page, "console-notice")
    page.goto(base + "/console/audit")
    assert "Verified" in page.locator("main").inner_text()
    shot(page, "console-audit")
    page.goto(base + "/console/keys")
    shot(page, "console-keys")
    page.goto(base + "/console/oversight")
    shot(page, "console-oversight")
    page.keyboard.press("Tab")  # the skip link comes first and is visible on focus
    assert page.evaluate("document.activeElement.className") == "skip"


CONSOLE_PAGES = {
    "deployments": "/console",
    "deployment": f"/console/deployments/{OFFICE}",
    "form": "/console/deployments/new",
    "audit": "/console/audit",
    "keys": "/console/keys",
    "oversight": "/console/oversight",
}


def test_the_console_in_chinese_and_english_with_the_switch_on_every_page(server, page) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    sign_in(page, base, env)
    page.click("#lang-zh-CN")  # the switch; the choice is kept in a cookie for every later page
    page.wait_for_selector("html[lang='zh-CN']")
    for name, path in CONSOLE_PAGES.items():
        page.goto(base + path)
        assert page.get_attribute("html", "lang") == "zh-CN", name
        assert page.locator("nav[aria-label='Console']").inner_text().startswith("部署"), name
        assert page.locator("#lang-en").is_visible()
        shot(page, f"console-{name}-zh-CN")
    page.goto(base + f"/console/deployments/{OFFICE}")
    assert "已启用" in page.locator("main").inner_text()
    page.click("#lang-en")
    page.wait_for_selector("html[lang='en']")
    for name, path in CONSOLE_PAGES.items():
        page.goto(base + path)
        assert page.get_attribute("html", "lang") == "en", name
        assert page.locator("nav[aria-label='Console']").inner_text().startswith("Deployments"), name
        assert page.locator("#lang-zh-CN").is_visible()
        shot(page, f"console-{name}-en")


def test_a_chinese_browser_reads_the_portal_in_chinese(server, browser) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    env.svc.gate.add_subject("chen")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(base + link(env, "chen"))
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.locator("#consent-button").inner_text() == "同意并使用人脸"
    shot(page, "portal-zh-CN")
    page.click("#lang-en")
    assert page.locator("#consent-button").inner_text() == "Consent and use my face"
    shot(page, "portal-en")
    context.close()


def test_retiring_asks_for_confirmation_first(server, page) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    env.svc.gate.register(example("office-entry", id="old-door"))
    sign_in(page, base, env)
    page.goto(base + "/console/deployments/old-door")
    page.click("#retire-button")  # the box is required: the browser sends nothing without it
    assert env.svc.deployment("old-door")["status"] == "active"
    shot(page, "console-retire-confirm")
    page.check("#confirm-retire")
    page.click("#retire-button")
    page.wait_for_selector("text=retire: retired")
    assert env.svc.deployment("old-door")["status"] == "retired"


def test_the_audit_page_filters_in_the_browser(server, page) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    env.svc.gate.add_subject("dora")  # consent before the notice: refused, and recorded
    env.client.post(f"/api/v1/deployments/{OFFICE}/subjects/dora/consents", json={}, headers=env.auth("operator"))
    sign_in(page, base, env)
    page.goto(base + "/console/audit")
    page.select_option("#q-decision", "refuse")
    page.click("#filter-button")
    page.wait_for_selector("text=Clear filters")
    rows = page.locator("#audit-entries tbody tr")
    classes = rows.evaluate_all("rows => rows.map(r => r.className)")
    assert classes and set(classes) == {"refuse"}, classes
    shot(page, "console-audit-filtered")


@pytest.mark.parametrize(
    ("lang", "subject", "member", "words"),
    [("en", "biden", ("biden", "biden"), ("Enroll", "Check", "Filter")),
     ("zh-CN", "joe", ("barack", "obama"), ("录入", "检查", "筛选"))],
)  # fmt: skip
def test_the_newcomer_path_in_the_console(server, page, lang: str, subject: str, member, words) -> None:  # type: ignore[no-untyped-def]
    """Enroll a photo, verify it, identify in a group photo and read the audit: the console only, no CLI."""
    env, base = server
    data = Path(__file__).parent / "data"
    sign_in(page, base, env, "operator")

    def enroll(deployment: str, who: str, photo: str) -> None:
        page.goto(f"{base}/console/try/{deployment}?lang={lang}")
        page.fill("#enroll-subject", who)
        page.check("#notice")
        page.check("#consent")
        page.set_input_files("#enroll-image", str(data / photo))
        page.click(f"#enroll-form button:has-text('{words[0]}')")
        page.wait_for_selector("[data-outcome]")
        assert page.get_attribute("[data-outcome]", "data-outcome") == "enrolled", page.inner_text("#result")

    enroll(OFFICE, subject, "biden.jpg")
    shot(page, f"console-enroll-{lang}")
    assert page.get_attribute("html", "lang") == lang
    page.fill("#subject", subject)  # the same person in another photo: a match, audited under the operator's key
    page.set_input_files("#image", str(data / "biden2.jpg"))
    page.click(f"#try-form button:has-text('{words[1]}')")
    page.wait_for_selector("[data-outcome='match']")
    shot(page, f"console-verify-{lang}")

    name, face = member  # a 1:N gallery: one person enrolled, then a photo of two people searched
    enroll(GALLERY, name, f"{face}.jpg")
    page.set_input_files("#image", str(data / "two_people.jpg"))
    page.click(f"#try-form button:has-text('{words[1]}')")
    page.wait_for_selector("#faces")
    rows = page.locator("#faces tbody tr")
    assert rows.count() == 2  # each face decided on its own, with its box
    cells = "rows => rows.map(r => [r.dataset.faceOutcome, r.cells[1].innerText, r.cells[3].innerText])"
    found = rows.evaluate_all(cells)
    assert all(len(box.split(",")) == 4 for _, box, _ in found), found
    assert ("identified", name) in {(outcome, who) for outcome, _, who in found}, found
    shot(page, f"console-identify-{lang}")

    page.context.clear_cookies()  # the audit is read with the auditor's key: each decision, by the key's name
    sign_in(page, base, env, "auditor")
    page.goto(f"{base}/console/audit?lang={lang}")
    page.fill("#q-subject", subject)
    page.click(f"#filter-button:has-text('{words[2]}')")
    page.wait_for_selector("#audit-entries tbody tr[class]")
    logged = page.locator("#audit-entries tbody tr").evaluate_all(
        "rows => rows.map(r => [r.querySelector('[data-operation]').dataset.operation, r.cells[2].innerText])")
    assert {"enroll", "verify"} <= {operation for operation, _ in logged}, logged
    assert {actor for operation, actor in logged if operation in ("enroll", "verify")} == {"operator"}
    assert not [actor for _, actor in logged if actor.startswith("api_key:")]  # a key's name, never its ID
    shot(page, f"console-audit-{lang}")
