"""Every problem carries a stable `code` a client can branch on, titled and detailed in Chinese or English by
Accept-Language; unknown query parameters are refused, never ignored."""

import importlib
import io
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from test_api_fixtures import DATA, OFFICE, Env, consenting, make_env
from test_images import png_header_only
from test_web_chinese import english_in

import facegate
from facegate.api.codes import CODES
from facegate.client import Client, Unavailable
from facegate.engine import images
from facegate.errors import REFUSAL_CODES, DeviceRefused, FacegateError, HubRefused, LivenessError, RefusedError

OBAMA = f"/api/v1/deployments/{OFFICE}/subjects/obama"
DOCS = Path(__file__).parent.parent / "docs" / "service.md"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    environment = make_env(tmp_path_factory.mktemp("codes"))
    env = next(environment)
    consenting(env, "obama")
    yield env
    next(environment, None)


def blank_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 180, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (blank_photo(), "no_face"),
        ((DATA / "two_people.jpg").read_bytes(), "several_faces"),
        (b"name,date\nobama,2026-11-27\n", "not_an_image"),
        ((DATA / "obama.jpg").read_bytes()[:3000], "truncated_image"),
        (png_header_only(30000, 30000), "too_many_pixels"),
    ],
    ids=["no_face", "several_faces", "not_an_image", "truncated_image", "too_many_pixels"],
)
def test_each_bad_photo_has_its_own_code(env: Env, upload: bytes, code: str) -> None:
    files = {"image": ("photo", upload, "application/octet-stream")}
    answer = env.client.post(OBAMA + "/enroll", files=files, headers=env.auth("operator"))
    assert answer.status_code in (413, 422) and answer.json()["code"] == code, answer.text
    assert answer.json()["title"] == CODES[code][0]


CJK = re.compile(r"[\u3400-\u9fff]")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}


def in_chinese(detail: str) -> bool:
    """Whether a problem's detail reads in Chinese: Chinese text and no English sentence."""
    return bool(CJK.search(detail)) and english_in(f"<body><p>{detail}</p>", []) == []


@pytest.mark.parametrize(("upload", "code"), [(blank_photo(), "no_face"), (b"name,date\n", "not_an_image")])
def test_a_bad_photo_is_detailed_in_chinese_for_a_chinese_caller_and_in_english_otherwise(
    env: Env, upload: bytes, code: str
) -> None:
    files = {"image": ("photo", upload, "application/octet-stream")}
    zh = env.client.post(OBAMA + "/enroll", files=files, headers={**env.auth("operator"), **ZH}).json()
    assert zh["code"] == code and zh["detail"].startswith(CODES[code][1]) and in_chinese(zh["detail"]), zh
    en = env.client.post(OBAMA + "/enroll", files=files, headers=env.auth("operator")).json()
    assert en["code"] == code and not CJK.search(en["detail"]) and english_in(f"<body>{en['detail']}", []), en


def test_a_refusal_names_what_is_missing_in_the_callers_language(env: Env) -> None:
    h = env.auth("operator")
    assert env.client.post("/api/v1/subjects", json={"id": "biden"}, headers=h).status_code == 201
    base = f"/api/v1/deployments/{OFFICE}/subjects/biden"
    env.client.post(base + "/notice", headers=h)
    files = {"image": ("biden.jpg", (DATA / "biden.jpg").read_bytes(), "image/jpeg")}
    english = env.client.post(base + "/enroll", files=files, headers=h)
    assert english.status_code == 403 and english.json()["code"] == "consent_missing"
    assert english.json()["rule_ids"] and english.headers["content-language"] == "en"
    chinese = env.client.post(base + "/enroll", files=files, headers={**h, **ZH})
    body = chinese.json()
    assert body["code"] == "consent_missing" and body["title"] == "当事人未给予单独同意。"
    assert chinese.headers["content-language"] == "zh-CN"
    # The detail in Chinese too: what is missing, each rule with its Chinese title, what the subject may use.
    assert body["detail"].startswith("当事人未给予单独同意。依据规则：") and in_chinese(body["detail"]), body
    assert all(f"{rule}（" in body["detail"] for rule in body["rule_ids"])
    assert not CJK.search(english.json()["detail"]) and "consent" in english.json()["detail"]
    machine = ("code", "rule_ids", "alternatives", "status", "type")
    assert {k: body[k] for k in machine} == {k: english.json()[k] for k in machine}  # the same for both


def test_a_missing_page_is_detailed_in_the_callers_language(env: Env) -> None:
    english = env.client.get("/api/v1/nowhere").json()
    assert english["code"] == "not_found" and english["detail"] == "nothing at /api/v1/nowhere"
    chinese = env.client.get("/api/v1/nowhere", headers=ZH).json()
    assert chinese["code"] == "not_found" and chinese["title"] == CODES["not_found"][1]
    assert in_chinese(chinese["detail"]) and "/api/v1/nowhere" in chinese["detail"], chinese


def test_protocol_errors_have_codes_too(env: Env) -> None:
    assert env.client.get("/api/v1/nowhere").json()["code"] == "not_found"
    assert env.client.get("/api/v1/keys").json()["code"] == "unauthorized"
    assert env.client.get("/api/v1/keys", headers=env.auth("operator")).json()["code"] == "forbidden"
    patched = env.client.patch("/api/v1/keys", headers=env.auth("admin"))
    assert patched.json()["code"] == "method_not_allowed"
    assert patched.headers["allow"] == "GET, POST" and patched.json()["detail"] == "this path takes GET, POST"  # both
    invalid = env.client.post("/api/v1/subjects", json={"id": "no spaces"}, headers=env.auth("operator"))
    assert invalid.status_code == 422 and invalid.json()["code"] == "invalid_input"


def test_unknown_query_parameters_are_refused_not_ignored(env: Env) -> None:
    answer = env.client.get("/api/v1/deployments?limit=1&page=2", headers=env.auth("admin"))
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "unknown_parameter" and "page" in body["detail"]
    zh = env.client.get("/api/v1/deployments?page=2", headers={**env.auth("admin"), "Accept-Language": "zh-CN"})
    assert zh.json()["detail"].startswith("未知的查询参数：page。此路由接受：") and "limit" in zh.json()["detail"]
    known = env.client.get("/api/v1/audit/export?since=2026-01-01&until=2026-01-02", headers=env.auth("auditor"))
    assert known.status_code == 200
    twice = env.client.get("/api/v1/audit/entries?limit=1&limit=2", headers=env.auth("auditor"))
    assert twice.status_code == 422 and twice.json()["code"] == "invalid_input" and "limit" in twice.json()["detail"]


def test_a_request_without_a_valid_key_is_401_before_anything_about_its_input(env: Env) -> None:
    for headers in ({}, {"Authorization": "Bearer fgk_not-a-key"}):
        unknown = env.client.get("/api/v1/deployments?page=2", headers=headers)
        control = env.client.post("/api/v1/subjects", json={"id": "a\u0000b"}, headers=headers)
        assert (unknown.status_code, control.status_code) == (401, 401)
        assert unknown.json()["code"] == control.json()["code"] == "unauthorized"


def all_errors() -> set[type[FacegateError]]:
    for module in pkgutil.walk_packages(facegate.__path__, "facegate."):
        skipped = module.name.startswith("facegate.cli") or "__main__" in module.name or ".migrations" in module.name
        if not skipped:
            importlib.import_module(module.name)
    found, todo = set(), [FacegateError]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return found


def test_every_error_class_and_refusal_has_a_listed_code_documented_in_service_md() -> None:
    codes = {cls.code for cls in all_errors() if isinstance(cls.__dict__.get("code"), str)}
    codes |= set(REFUSAL_CODES.values()) | {"refused", "liveness_failed", "liveness_rate_limited", "internal"}
    codes |= set(DeviceRefused.REASONS)  # each reason a hub refuses a device for has its own code
    assert codes <= set(CODES), codes - set(CODES)
    documented = DOCS.read_text()
    assert [c for c in CODES if f"`{c}`" not in documented] == []
    assert RefusedError("no", ["PIPL-29", "CN25-6d"]).code == "consent_withdrawn"
    assert RefusedError("no", ["CN25-13a"]).code == "refused"
    assert LivenessError("wait", ["rate_limited"], []).code == "liveness_rate_limited"
    assert DeviceRefused("no", "pairing_token_used").code == "pairing_token_used"
    assert HubRefused("no").code == "hub_key_mismatch"


def test_the_schema_lists_every_code(env: Env) -> None:
    problem = env.client.get("/api/v1/openapi.json").json()["components"]["schemas"]["Problem"]
    assert problem["properties"]["code"]["enum"] == list(CODES) and "code" in problem["required"]


def test_a_busy_decoder_is_retryable_503_with_retry_after(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    full = images.DecodeBudget(64 << 20)
    full.charge(64 << 20)  # every byte of decoding memory in use: the next decode cannot start
    monkeypatch.setattr(images, "BUDGET", full)
    monkeypatch.setattr(images, "WAIT_S", 0.0)
    photo = {"image": ("obama.jpg", (DATA / "obama.jpg").read_bytes(), "image/jpeg")}
    answer = env.client.post(OBAMA + "/enroll", files=photo, headers=env.auth("operator"))
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5", answer.text
    assert answer.json()["code"] == "decoder_busy" and answer.json()["type"] == "/problems/unavailable"
    api = Client("http://testserver", env.keys["operator"], http=env.client)
    with pytest.raises(Unavailable) as raised:
        api.enroll(OFFICE, "obama", (DATA / "obama.jpg").read_bytes())
    assert raised.value.retry_after == 5 and raised.value.code == "decoder_busy"


JSON_BODY = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("path", "body", "kind", "said"),
    [
        ("/api/v1/keys", b'{"role": "auditor", "name": "\xff\xfe"}', JSON_BODY, "not UTF-8"),
        ("/api/v1/keys", b"[" * 5000 + b"]" * 5000, JSON_BODY, "nests too deeply"),
        ("/api/v1/keys", b'{"role": ' + b"9" * 5000 + b"}", JSON_BODY, "too many digits"),
        ("/api/v1/keys", b'{"role": "auditor", ', JSON_BODY, "not valid JSON (Expecting"),
        ("/api/v1/keys", b'{"name": "x', JSON_BODY, "not valid JSON (Unterminated string starting at character 9)"),
        (OBAMA + "/verify", b"image", {"content-type": "multipart/form-data"}, "multipart form cannot be read"),
    ],
    ids=["not_utf8", "too_deep", "long_number", "malformed", "unterminated", "no_boundary"],
)
def test_an_unreadable_body_is_invalid_input_saying_why_not_a_bare_400(
    env: Env, path: str, body: bytes, kind: dict[str, str], said: str
) -> None:
    keys = env.client.get("/api/v1/keys", headers=env.auth("admin")).json()
    who = env.auth("operator" if "subjects" in path else "admin")
    answer = env.client.post(path, content=body, headers={**who, **kind})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json", answer.text
    problem = answer.json()
    assert problem["code"] == "invalid_input" and said in problem["detail"], problem
    assert problem["errors"][0]["field"] == "body"
    assert env.client.get("/api/v1/keys", headers=env.auth("admin")).json() == keys  # nothing was minted


@pytest.mark.parametrize("text", ["a\x00b", "red\x1b[31m", "csi\x9b2J", "del\x7f"], ids=["nul", "esc", "c1", "del"])
def test_control_characters_in_a_body_are_refused_and_change_nothing(env: Env, text: str) -> None:
    admin = env.auth("admin")
    keys = env.client.get("/api/v1/keys", headers=admin).json()
    answer = env.client.post("/api/v1/keys", json={"role": "auditor", "name": text}, headers=admin)
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_input", answer.text
    assert answer.json()["detail"].startswith("body.name: control characters are not allowed")
    assert env.client.get("/api/v1/keys", headers=admin).json() == keys
    consent = {"given_by": "guardian", "guardian_ref": text}
    refused = env.client.post(OBAMA + "/consents", json=consent, headers=env.auth("operator"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("body.guardian_ref: control")
    form = {"nonce": "aaaaaaaa", "timestamps": "[0]", "device": text}
    frames = [("frames", ("a.jpg", (DATA / "obama2.jpg").read_bytes(), "image/jpeg"))]
    live = env.client.post(OBAMA + "/verify/live", data=form, files=frames, headers=env.auth("operator"))
    assert live.status_code == 422 and live.json()["detail"].startswith("body.device: control"), live.text


def test_tabs_and_line_breaks_are_text_not_control_characters(env: Env) -> None:
    answer = env.client.post("/api/v1/keys", json={"role": "auditor", "name": "two\tparts"}, headers=env.auth("admin"))
    assert answer.status_code == 201 and answer.json()["name"] == "two\tparts", answer.text


def test_text_where_a_file_belongs_is_named_without_python_words(env: Env) -> None:
    answer = env.client.post(OBAMA + "/verify", data={"image": "not a file"}, headers=env.auth("operator"))
    assert answer.status_code == 422 and "class" not in answer.text, answer.text
    assert answer.json()["detail"] == "body.image: must be a file (a multipart part with a filename), not text"


def test_an_empty_json_body_is_a_missing_body_not_an_internal_error(env: Env) -> None:
    answer = env.client.post("/api/v1/keys", content=b"", headers={**env.auth("admin"), **JSON_BODY})
    assert answer.status_code == 422 and answer.json()["detail"] == "body: Field required", answer.text
