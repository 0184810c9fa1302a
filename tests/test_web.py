"""The console and the portal as HTML, without a browser: sign-in, CSRF, roles, the consent and delete flows."""

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from test_api_fixtures import OFFICE, Env, make_env, photo

from facegate.api.rule_words import RULE_TITLES_ZH
from facegate.oversight import Oversight
from facegate.web import console


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def sign_in(env: Env, who: str) -> str:
    response = env.client.post("/console/login", data={"api_key": env.keys[who]})
    assert response.status_code == 200 and "Sign out" in response.text
    return re.search(r'name="csrf" value="([^"]+)"', env.client.get("/console/deployments/new").text).group(1)


def portal(env: Env, subject: str = "obama") -> str:
    token = env.svc.make_link(subject, OFFICE, timedelta(hours=1))
    return f"/portal/{token}"


def test_the_console_needs_a_key_and_says_so(env: Env) -> None:
    assert env.client.get("/console").url.path == "/console/login"
    bad = env.client.post("/console/login", data={"api_key": "fgk_nope"})
    assert bad.status_code == 401 and "unknown or revoked" in bad.text
    sign_in(env, "auditor")
    page = env.client.get("/console").text
    assert "hq-lobby" in page and "API keys" not in page and "Audit log" in page


def test_revoking_a_key_ends_its_console_sessions(env: Env) -> None:
    sign_in(env, "auditor")
    assert env.client.get("/console/audit").url.path == "/console/audit"
    key = env.svc.keys.authenticate(env.keys["auditor"], env.clock())
    assert key is not None
    env.svc.keys.revoke(key.id, env.clock())
    assert env.client.get("/console/audit").url.path == "/console/login"


def test_forms_need_the_session_csrf_token(env: Env) -> None:
    csrf = sign_in(env, "admin")
    refused = env.client.post(f"/console/deployments/{OFFICE}/retire", data={"csrf": "forged"})
    assert refused.status_code == 403
    unconfirmed = env.client.post(f"/console/deployments/{OFFICE}/retire", data={"csrf": csrf})
    assert "Nothing was retired" in unconfirmed.text and env.svc.deployment(OFFICE)["status"] == "active"
    done = env.client.post(f"/console/deployments/{OFFICE}/retire", data={"csrf": csrf, "confirm": "yes"})
    assert "retire: retired" in done.text


def test_the_form_shows_findings_and_only_an_admin_registers(env: Env) -> None:
    csrf = sign_in(env, "operator")
    fields = {
        "csrf": csrf, "id": "harbour-rooms", "name": "Room locks", "handler.name": "Harbour Hotel",
        "purpose.category": "access_control", "modality": "verification", "location.setting": "private_premises",
        "location.type": "hotel room", "premises_type": "hotel", "legal_basis": "separate_consent",
        "alternatives": "key_card", "notice.version": "1", "profiles": "cn2025",
    }  # fmt: skip
    fragment = env.client.post("/console/deployments/check", data=fields).text
    assert "BLOCK" in fragment and 'href="/console/rules/CN25-13a"' in fragment
    refused = env.client.post("/console/deployments/new", data={**fields, "action": "register"}).text
    assert "Only an admin key registers" in refused
    incomplete = env.client.post("/console/deployments/check", data={"csrf": csrf, "id": "x"}).text
    assert "not complete yet" in incomplete


def test_an_admin_registers_a_blocked_spec_and_sees_why(env: Env) -> None:
    csrf = sign_in(env, "admin")
    fields = {
        "csrf": csrf, "action": "register", "id": "harbour-rooms", "name": "Room locks", "handler.name": "Harbour",
        "purpose.category": "access_control", "modality": "verification", "location.setting": "private_premises",
        "location.type": "hotel room", "legal_basis": "separate_consent", "alternatives": "key_card",
    }  # fmt: skip
    page = env.client.post("/console/deployments/new", data=fields)
    assert page.url.path == "/console/deployments/harbour-rooms" and "blocked" in page.text
    assert "CN25-13a" in env.client.get("/console/rules/CN25-13a").text
    assert "Edit and resubmit" in page.text


def test_the_console_pages_render(env: Env) -> None:
    sign_in(env, "admin")
    for path in ("/console", f"/console/deployments/{OFFICE}", "/console/audit", "/console/keys",
                 "/console/oversight", f"/console/deployments/{OFFICE}/notice",
                 f"/console/deployments/{OFFICE}/impact-assessment", "/console/rules/CN25-6a/b"):  # fmt: skip
        response = env.client.get(path)
        assert response.status_code == 200, path
        assert "<main" in response.text and 'lang="' in response.text
    assert "Verified" in env.client.get("/console/audit").text
    assert env.client.get("/console/deployments/nowhere").status_code == 404


def test_the_audit_page_shows_the_newest_entries_and_verifies_a_large_log_on_request(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(env, "auditor")
    env.client.post("/api/v1/subjects", json={"id": "obama"}, headers=env.auth("operator"))
    with env.svc.gate.db.session(readonly=True) as s:
        signed = env.svc.gate.audit.latest_checkpoint(s)
    page = env.client.get("/console/audit").text
    assert "Verified" in page and '<td data-operation="subject.add">subject added</td>' in page
    operator = next(k for k in env.svc.keys.list() if k.name == "operator")
    assert f'<code title="{operator.actor}">operator</code>' in page  # the key's name, its ID on hover
    monkeypatch.setattr(console, "VERIFY_ON_VIEW", 0)
    page = env.client.get("/console/audit").text
    added = '<td data-operation="subject.add">subject added</td>'
    assert "Verified" not in page and 'href="/console/audit?verify=1"' in page and added in page
    assert "Verified" in env.client.get("/console/audit?verify=1").text
    with env.svc.gate.db.session(readonly=True) as s:
        assert env.svc.gate.audit.latest_checkpoint(s) == signed  # an auditor's look writes nothing


def test_the_audit_page_answers_an_index_past_any_database_integer(env: Env) -> None:
    sign_in(env, "auditor")
    for before in ("9223372036854775808", "9" * 5000):
        page = env.client.get(f"/console/audit?before={before}")
        assert page.status_code == 200 and "data-operation" in page.text


def test_keys_minted_in_the_console_are_shown_once(env: Env) -> None:
    csrf = sign_in(env, "admin")
    page = env.client.post("/console/keys", data={"csrf": csrf, "role": "auditor", "name": "inspector"}).text
    secret = re.search(r"fgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", page).group(0)
    assert secret not in env.client.get("/console/keys").text


def test_a_console_form_with_a_control_character_is_refused_and_stores_nothing(env: Env) -> None:
    csrf = sign_in(env, "admin")
    page = env.client.post("/console/keys", data={"csrf": csrf, "role": "auditor", "name": "a\x00b\x1b[31m"})
    assert page.status_code == 422 and "name holds a control character" in page.text
    assert "fgk_" not in page.text and "\x1b" not in env.client.get("/console/keys").text
    tabbed = env.client.post("/console/keys", data={"csrf": csrf, "role": "auditor", "name": "front\tdesk"})
    assert tabbed.status_code == 200 and "fgk_" in tabbed.text


def test_the_portal_works_only_through_a_valid_link(env: Env) -> None:
    env.client.post("/api/v1/subjects", json={"id": "obama"}, headers=env.auth("operator"))
    assert env.client.get("/portal/fgs.forged.token").status_code == 404
    path = portal(env)
    page = env.client.get(path).text
    assert 'id="agree"' in page and "checked" not in re.search(r"<input[^>]*id=\"agree\"[^>]*>", page).group(0)
    env.clock.advance(hours=2)
    assert env.client.get(path).status_code == 404


def test_portal_consent_needs_the_box_and_withdrawal_deletes(env: Env) -> None:
    env.client.post("/api/v1/subjects", json={"id": "obama"}, headers=env.auth("operator"))
    path = portal(env)
    env.client.get(path)  # shows the notice
    unticked = env.client.post(path + "/consent", data={})
    assert unticked.status_code == 422 and "Tick the box" in unticked.text
    controlled = env.client.post(path + "/consent", data={"agree": "yes\x1b[2J"})
    assert controlled.status_code == 422 and "agree holds a control character" in controlled.text
    assert env.svc.gate.access("obama")["consents"] == []
    assert "consent is recorded" in env.client.post(path + "/consent", data={"agree": "yes"}).text
    base = f"/api/v1/deployments/{OFFICE}/subjects/obama"
    env.client.post(base + "/enroll", files=photo("obama.jpg"), headers=env.auth("operator"))
    assert env.svc.gate.access("obama")["facial_data"]
    withdrawn = env.client.post(path + "/withdraw")
    assert "has been deleted" in withdrawn.text and env.svc.gate.access("obama")["facial_data"] == []
    download = env.client.get(path + "/export")
    assert download.headers["content-disposition"].startswith("attachment") and download.json()["subject"] == "obama"
    deleted = env.client.post(path + "/delete", data={"confirm": "yes"})
    assert "Your data is deleted" in deleted.text
    assert env.client.get(path).status_code == 404


def test_the_oversight_page_counts_stored_individuals_against_the_thresholds(env: Env) -> None:
    sign_in(env, "auditor")
    page = env.client.get("/console/oversight").text
    assert "Example Technology (Shanghai) Co., Ltd." in page
    assert "stored individuals" in page and "at least 100,000 individuals" in page
    assert 'href="/console/rules/CN25-15c"' in page
    signed_out = env.client.post("/console/logout", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/console/login"
    again = env.client.get("/console/oversight", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/console/login"  # the session is gone
    sign_in(env, "operator")
    assert env.client.get("/console/oversight").status_code == 403


def test_the_oversight_page_only_reads_and_an_admin_refreshes_on_request(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    refreshed: list[str | None] = []
    monkeypatch.setattr(Oversight, "refresh", lambda self, handler=None: refreshed.append(handler))
    csrf = sign_in(env, "auditor")
    assert env.client.get("/console/oversight").status_code == 200
    assert refreshed == []  # viewing the page writes nothing
    assert env.client.post("/console/oversight/refresh", data={"csrf": csrf}).status_code == 403
    csrf = sign_in(env, "admin")
    assert "Refresh now" in env.client.get("/console/oversight").text
    done = env.client.post("/console/oversight/refresh", data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/console/oversight"
    assert refreshed == [None]
    assert env.client.post("/console/oversight/refresh", data={"csrf": "forged"}).status_code == 403
    assert refreshed == [None]


def test_a_photo_tried_in_the_console_gets_the_gates_decision(env: Env) -> None:
    from test_api_fixtures import DATA

    h = env.auth("operator")
    env.client.post("/api/v1/subjects", json={"id": "obama"}, headers=h)
    env.client.post(f"/api/v1/deployments/{OFFICE}/subjects/obama/notice", json={}, headers=h)
    csrf = sign_in(env, "admin")  # an admin sees the page, but photos are an operator's, as in the API
    assert "/console/try/hq-lobby" in env.client.get(f"/console/deployments/{OFFICE}").text
    assert 'id="operator-needed"' in env.client.get(f"/console/try/{OFFICE}").text

    def tried(subject: str, name: str) -> str:
        files = {"image": (name, (DATA / name).read_bytes(), "image/jpeg")}
        return env.client.post(f"/console/try/{OFFICE}", data={"csrf": csrf, "subject": subject}, files=files).text

    assert "need an operator key" in tried("obama", "obama2.jpg")
    csrf = sign_in(env, "operator")
    assert 'data-outcome="refused"' in tried("obama", "obama2.jpg")  # no consent yet: the gate refuses
    env.client.post(f"/api/v1/deployments/{OFFICE}/subjects/obama/consents", json={}, headers=h)
    subject = f"/api/v1/deployments/{OFFICE}/subjects/obama"
    enrolled = env.client.post(f"{subject}/enroll", files=photo("obama.jpg"), headers=h)
    assert enrolled.status_code in (200, 201), enrolled.text
    assert 'data-outcome="match"' in tried("obama", "obama2.jpg")
    assert 'data-outcome="no_match"' in tried("obama", "biden.jpg")
    text = env.client.post(f"/console/try/{OFFICE}", data={"csrf": csrf, "subject": "obama"},
                           files={"image": ("a.txt", b"not a photo", "text/plain")})  # fmt: skip
    assert text.status_code == 200 and 'data-outcome="invalid"' in text.text and "Traceback" not in text.text
    files = {"image": ("biden.jpg", (DATA / "biden.jpg").read_bytes(), "image/jpeg")}
    form = {"csrf": csrf, "subject": "biden", "notice": "shown"}
    refused = env.client.post(f"/console/enroll/{OFFICE}", data=form, files=files)
    assert 'data-outcome="refused"' in refused.text  # the notice alone is not consent
    chinese = env.client.post(f"/console/enroll/{OFFICE}", data=form, files=files, headers={"Accept-Language": "zh"})
    assert "当事人未给予单独同意" in chinese.text and "已拒绝" in chinese.text  # the code's sentence, in Chinese
    said = re.search(r'<p id="refusal">(.*?)</p>', chinese.text, re.S)[1]  # the whole refusal, nothing in English
    assert re.findall(r"[A-Za-z]{3,}", re.sub(r"[A-Z]+\d*-[\w/–-]+", "", said)) == [] and 'lang="en"' not in said
    rule = next(r for r in RULE_TITLES_ZH if r in said)
    assert RULE_TITLES_ZH[rule] in said and "当事人可改用：" in said and not said.endswith(".")
    enrolled = env.client.post(f"/console/enroll/{OFFICE}", data={**form, "consent": "given"}, files=files).text
    assert 'data-outcome="enrolled"' in enrolled and 'data-outcome="match"' in tried("biden", "biden2.jpg")
    chinese = env.client.get(f"/console/try/{OFFICE}", headers={"Accept-Language": "zh-CN"}).text
    assert "试一张照片" in chinese and "Try a photo" not in chinese
    stranger = sign_in(env, "stranger")  # an operator not granted the office: refused as by the API
    page = env.client.post(f"/console/enroll/{OFFICE}", data={"csrf": stranger, "subject": "eve"}, files=files)
    assert page.status_code == 404 and "eve" not in str(env.svc.gate.roster(None))


def test_the_subjects_page_lists_standing_searches_pages_and_acts_as_the_api_allows(env: Env) -> None:
    h = env.auth("operator")
    for n in range(3):
        env.client.post("/api/v1/subjects", json={"id": f"p{n}"}, headers=h)
    env.client.post(f"/api/v1/deployments/{OFFICE}/subjects/p0/notice", json={}, headers=h)
    env.client.post(f"/api/v1/deployments/{OFFICE}/subjects/p0/consents", json={}, headers=h)
    for name in ("obama.jpg", "obama2.jpg"):
        env.client.post(f"/api/v1/deployments/{OFFICE}/subjects/p0/enroll", files=photo(name), headers=h)
    sign_in(env, "admin")  # every subject, with no action: deleting is an operator's, as in the API
    page = env.client.get("/console/subjects").text
    row = re.search(r'<tr id="subject-p0">.*?</tr>', page, re.S).group(0)
    assert "hq-lobby" in row and "version 1" in row and 'class="consent given"' in row and ">2</td>" in row
    assert "In no deployment yet." in page and "/delete" not in page and "/erase" not in page
    assert "sealed" not in page and "vector" not in page
    only = env.client.get("/console/subjects", params={"q": "p1"}).text
    assert 'id="subject-p1"' in only and 'id="subject-p0"' not in only
    assert env.client.get("/console/subjects", params={"q": "p%"}).status_code == 422
    one = env.client.get("/console/subjects", params={"deployment": OFFICE}).text
    assert 'id="subject-p0"' in one and 'id="subject-p1"' not in one  # p1 has no record in the office
    for n in range(3, 53):
        env.svc.gate.add_subject(f"q{n:02d}")
    first = env.client.get("/console/subjects").text
    later = re.search(r'href="([^"]+)" id="later-link"', first).group(1).replace("&amp;", "&")
    second = env.client.get(later).text
    assert 'id="subject-q52"' in second and 'id="subject-p0"' not in second and 'id="first-link"' in second
    csrf = sign_in(env, "operator")
    page = env.client.get("/console/subjects", params={"deployment": OFFICE}).text
    template = re.search(r'action="(/console/subjects/p0/templates/[^"]+/delete)"', page).group(1)
    to = f"/console/subjects?deployment={OFFICE}"
    done = env.client.post(template, data={"csrf": csrf, "deployment": OFFICE, "to": to})
    assert "other templates stay" in done.text and ">1</td>" in done.text
    assert "Nothing was erased" in env.client.post("/console/subjects/p0/erase", data={"csrf": csrf, "to": to}).text
    assert env.svc.gate.subject_deployments("p0") == {OFFICE}  # not confirmed: nothing erased
    erased = env.client.post("/console/subjects/p0/erase", data={"csrf": csrf, "confirm": "yes", "to": to})
    assert "was erased" in erased.text and 'id="subject-p0"' not in erased.text
    stranger = sign_in(env, "stranger")  # not granted the office: no action there, and refused if forged
    assert env.client.post("/console/subjects/p2/erase", data={"csrf": stranger, "confirm": "yes"}).status_code == 403


def test_identifying_a_group_photo_in_the_console_lists_every_face(env: Env) -> None:
    from test_api_fixtures import GALLERY, consenting

    h = env.auth("operator")
    for subject in ("obama", "biden"):
        consenting(env, subject, GALLERY)
        env.client.post(f"/api/v1/deployments/{GALLERY}/subjects/{subject}/enroll", files=photo(f"{subject}.jpg"),
                        headers=h)  # fmt: skip
    csrf = sign_in(env, "operator")
    page = env.client.post(f"/console/try/{GALLERY}", data={"csrf": csrf}, files=photo("two_people.jpg")).text
    faces = re.findall(r'<tr data-face-outcome="([a-z_]+)">', page)
    assert len(faces) == 2 and 'id="faces"' in page, page[page.find("<main"):][:2000]
    zh = env.client.post(f"/console/try/{GALLERY}", data={"csrf": csrf}, files=photo("two_people.jpg"),
                         headers={"Accept-Language": "zh-CN"}).text  # fmt: skip
    assert "照片中有 2 张人脸，逐一判定" in zh


# ---- the probe of the web faces (sign-out, CSRF at sign-in, cameras, messages, dates, error pages, key expiry) ----


def test_signing_out_ends_the_session_on_the_server(env: Env) -> None:
    sign_in(env, "auditor")
    saved = env.client.cookies.get("facegate_console")
    assert env.client.get("/console/audit", follow_redirects=False).status_code == 200
    env.client.post("/console/logout", follow_redirects=False)
    env.client.cookies.set("facegate_console", saved)  # a copy of the cookie, kept from before signing out
    again = env.client.get("/console/audit", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/console/login"
    with env.svc.gate.db.session(readonly=True) as s:  # ended in the database, for every replica to see
        assert s.execute(text("SELECT count(*) FROM api_console_session_end")).scalar() == 1
    env.client.cookies.clear()
    sign_in(env, "auditor")  # a new sign-in is a new session
    assert env.client.get("/console/audit", follow_redirects=False).status_code == 200


def test_sign_in_and_sign_out_posted_from_another_site_are_refused(env: Env) -> None:
    evil = {"Origin": "http://localhost:18621", "Sec-Fetch-Site": "cross-site"}
    login = env.client.post("/console/login", data={"api_key": env.keys["stranger"]}, headers=evil)
    assert login.status_code == 403 and "text/html" in login.headers["content-type"]
    assert "another site" in login.text and "facegate_console" not in login.headers.get("set-cookie", "")
    old_browser = env.client.post("/console/login", data={"api_key": env.keys["stranger"]},
                                  headers={"Origin": "http://evil.example"})  # fmt: skip
    assert old_browser.status_code == 403
    sign_in(env, "auditor")
    assert env.client.post("/console/logout", headers=evil).status_code == 403
    assert env.client.get("/console/audit", follow_redirects=False).status_code == 200  # still signed in
    own = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert env.client.post("/console/login", data={"api_key": env.keys["admin"]}, headers=own).status_code == 200
    no_referrer = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}  # the console's Referrer-Policy: no-referrer
    assert env.client.post("/console/logout", headers=no_referrer, follow_redirects=False).status_code == 303


def test_the_cameras_page_lists_only_granted_deployments_and_masks_secrets(env: Env) -> None:
    from gate_fixtures import example

    passive = {"capture": "passive", "modality": "identification", "camera": {"attended": True, "min_face_px": 60}}
    for door in ("door-a", "door-b"):
        env.svc.gate.register(example("office-entry", id=door, **passive))
    env.svc.gate.cameras.add("door-a", "cam-a", "http://user:pw@10.0.0.6/mjpg?token=abc123&channel=2")
    env.svc.gate.cameras.add("door-b", "cam-b", "rtsp://10.0.0.7/stream?password=S3cret")
    env.keys["door-a"] = env.svc.keys.create("operator", env.clock(), "door-a", ["door-a"])[1]
    sign_in(env, "door-a")
    page = env.client.get("/console/cameras").text
    assert 'id="camera-cam-a"' in page and 'id="camera-cam-b"' not in page and "10.0.0.7" not in page
    assert "http://***@10.0.0.6/mjpg?token=***&amp;channel=2" in page and "abc123" not in page
    sign_in(env, "admin")
    page = env.client.get("/console/cameras").text
    assert "rtsp://10.0.0.7/stream?password=***" in page and "S3cret" not in page


def test_the_status_banner_shows_only_what_the_console_said(env: Env) -> None:
    csrf = sign_in(env, "admin")
    spoof = "Your session key was revoked. Paste your API key at https://facegate-support.example/verify"
    for path in (f"/console/deployments/{OFFICE}", "/console/subjects"):
        page = env.client.get(path, params={"message": spoof}).text
        assert "Your session key was revoked" not in page and 'role="status"' not in page
        forged = env.client.get(path, params={"message": spoof, "sig": "forged"}).text
        assert "Your session key was revoked" not in forged and 'role="status"' not in forged
    said = env.client.post(f"/console/deployments/{OFFICE}/retire", data={"csrf": csrf})
    assert "Nothing was retired" in said.text and 'role="status"' in said.text  # the console's own message shows


def test_an_audit_date_out_of_range_is_a_page_naming_the_field(env: Env) -> None:
    sign_in(env, "auditor")
    for query, field in (("until=9999-12-31", "until"), ("since=0001-01-01&until=9999-12-31", "since"),
                         ("since=1969-12-31", "since")):  # fmt: skip
        page = env.client.get(f"/console/audit?{query}")
        assert page.status_code == 422 and "text/html" in page.headers["content-type"], query
        assert f"The field {field} is outside 1970-01-01 to 9998-12-31" in page.text
    assert env.client.get("/console/audit?since=1970-01-01&until=9998-12-31").status_code == 200
    bad = env.client.get("/console/audit?since=yesterday")
    assert bad.status_code == 422 and "The field since is not a date" in bad.text


def test_console_and_portal_errors_are_pages_naming_the_problem(env: Env) -> None:
    long_key = env.client.post("/console/login", data={"api_key": "x" * 201})
    assert long_key.status_code == 422 and "text/html" in long_key.headers["content-type"]
    assert "The field api_key is not accepted" in long_key.text and "200 characters" in long_key.text
    csrf = sign_in(env, "operator")
    huge = b"\xff\xd8" + b"0" * (21 * 1024 * 1024)
    for chunked in (False, True):
        body = iter([huge]) if chunked else huge
        too_large = env.client.post(f"/console/enroll/{OFFICE}", content=body,
                                    headers={"Content-Type": "multipart/form-data; boundary=x"})  # fmt: skip
        assert too_large.status_code == 413 and "text/html" in too_large.headers["content-type"], chunked
        assert "The upload is too large" in too_large.text and "20 MiB" in too_large.text
        assert too_large.headers["x-frame-options"] == "DENY"
    fields = {f"f{n}": "x" for n in range(1001)}
    many = env.client.post(f"/console/try/{OFFICE}", data={"csrf": csrf, **fields})
    assert many.status_code == 422 and "text/html" in many.headers["content-type"]
    assert "The form cannot be read" in many.text and "fields" in many.text
    unbounded = env.client.post(f"/console/try/{OFFICE}", content=b"x",
                                headers={"Content-Type": "multipart/form-data"})  # fmt: skip
    assert unbounded.status_code == 422 and "The form cannot be read" in unbounded.text
    for path in ("/console/try/a/b", f"/console/deployments/{OFFICE}/y/z", "/portal/a/b/c"):
        missing = env.client.get(path)
        assert missing.status_code == 404 and "text/html" in missing.headers["content-type"], path
    api = env.client.post(f"/api/v1/deployments/{OFFICE}/subjects/x/enroll", content=huge,
                          headers={**env.auth("operator"), "Content-Type": "multipart/form-data; boundary=x"})
    assert api.status_code == 413 and api.headers["content-type"] == "application/problem+json"  # the API keeps JSON
    assert env.client.get("/api/v1/nowhere").headers["content-type"] == "application/problem+json"


def test_the_key_expiry_takes_ascii_digits_only(env: Env) -> None:
    csrf = sign_in(env, "admin")
    arabic = env.client.post("/console/keys", data={"csrf": csrf, "role": "auditor", "name": "a", "days": "٣"}).text
    assert "whole number of days" in arabic and "fgk_" not in arabic
    ascii_days = env.client.post("/console/keys", data={"csrf": csrf, "role": "auditor", "name": "b", "days": "3"})
    assert "fgk_" in ascii_days.text
