"""The API browser and the schema's names: Swagger UI and ReDoc from packaged assets (no CDN), readable operation
IDs and schema names, a tag and an example everywhere, and a client generated from the schema that reads well."""

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import jsonschema_rs
import pytest
from test_api_fixtures import Env, make_env, serving

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from make_env(tmp_path_factory.mktemp("docs"))


@pytest.fixture(scope="module")
def schema(env: Env) -> dict:
    return env.client.get("/api/v1/openapi.json").json()


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def test_operation_ids_schema_names_and_tags_are_readable(schema: dict) -> None:
    ids = Counter(op["operationId"] for _, _, op in operations(schema))
    assert [i for i, n in ids.items() if n > 1] == []
    assert [i for i in ids if not NAME.match(i) or "api_v1" in i] == []
    readable = {"enroll", "verify", "identify", "list_keys", "create_webhook", "verify_audit_log", "my_withdraw"}
    assert readable <= set(ids)
    names = schema["components"]["schemas"]
    assert [n for n in names if n.startswith("Body_") or "__" in n] == []
    assert {"EnrollForm", "VerifyForm", "IdentifyForm", "Problem", "Decision"} <= set(names)
    described = {t["name"] for t in schema["tags"] if t["description"]}
    assert [(m, p) for m, p, op in operations(schema) if not set(op["tags"]) <= described] == []


def test_every_request_body_has_an_example_that_fits_its_schema(schema: dict) -> None:
    missing, wrong = [], []
    for method, path, op in operations(schema):
        for media, content in op.get("requestBody", {}).get("content", {}).items():
            body = content["schema"]
            ref = body.get("$ref") or next((b["$ref"] for b in body.get("anyOf", []) if "$ref" in b), "")
            named = ref.rsplit("/", 1)[-1]  # an optional body is anyOf the model and null
            examples = schema["components"]["schemas"].get(named, body).get("examples")
            if not examples:
                missing.append(f"{method} {path} {media}")
                continue
            validator = jsonschema_rs.validator_for({**body, "components": schema["components"]})
            for example in examples:
                wrong += [f"{method} {path}: {e.message[:200]}" for e in validator.iter_errors(example)]
    assert missing == [] and wrong == []


def test_swagger_ui_and_redoc_are_served_from_packaged_assets(env: Env) -> None:
    for page in ("/docs", "/redoc"):
        html = env.client.get(page)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert re.findall(r'(?:src|href)="(?!/)', html.text) == []  # nothing from another host
        for asset in re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', html.text):
            answer = env.client.get(asset)
            assert answer.status_code == 200 and len(answer.content) > 100, asset
    assert env.client.get("/docs/assets/swagger-ui-bundle.js").headers["content-type"].startswith("text/javascript")
    assert env.client.get("/docs/assets/../../etc/passwd").status_code == 404
    assert env.client.get("/docs/assets/core.py").status_code == 404  # only the assets, not the package's code
    assert env.client.get("/api/v1/docs", follow_redirects=False).headers["location"] == "/docs"


@pytest.mark.slow
def test_a_client_generated_from_the_schema_has_readable_names(schema: dict, tmp_path: Path) -> None:
    generator = Path(sys.executable).parent / "openapi-python-client"
    if not generator.exists():
        pytest.skip("needs openapi-python-client (pip install -e '.[test]')")
    (tmp_path / "openapi.json").write_text(json.dumps(schema))
    run = [str(generator), "generate", "--path", "openapi.json", "--meta", "none", "--output-path", "client"]
    subprocess.run(run, cwd=tmp_path, check=True, capture_output=True, timeout=300)
    client = tmp_path / "client"
    modules = {p.relative_to(client / "api").with_suffix("").as_posix() for p in (client / "api").rglob("*.py")}
    assert {"biometrics/enroll", "biometrics/verify", "biometrics/identify", "webhooks/create_webhook",
            "audit/verify_audit_log", "subject_self_service/my_withdraw", "service/readyz"} <= modules  # fmt: skip
    models = {p.stem for p in (client / "models").glob("*.py")}
    assert {"enroll_form", "problem", "decision", "webhook_created"} <= models
    names = {m.rsplit("/", 1)[-1] for m in modules | models} - {"__init__"}
    unreadable = [m for m in names if "api_v1" in m or m.startswith("body_") or "__" in m]
    assert unreadable == []
    enroll = (client / "api" / "biometrics" / "enroll.py").read_text()
    assert "def sync(" in enroll and "body: EnrollForm" in enroll


@pytest.mark.slow
def test_the_browser_opens_the_api_docs_with_no_request_off_the_server(env: Env) -> None:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (make test installs it: scripts/test-chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with serving(env.client.app) as base, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        loaded: list[str] = []
        page.on("requestfinished", lambda request: loaded.append(request.url))
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(base + "/docs")
        page.wait_for_selector("text=create_webhook", timeout=30_000)
        assert page.locator(".opblock-tag", has_text="biometrics").count() == 1
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
        page.goto(base + "/redoc")
        page.wait_for_selector("text=Create Webhook", state="attached", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "api-redoc.png"))
        chromium.close()
    assert [u for u in loaded if not u.startswith(base) and not u.startswith(("data:", "blob:"))] == []
    # ReDoc's footer always asks for its maker's logo from a CDN: the page's policy refuses it, nothing else.
    assert all(REDOC_LOGO in m for m in refused), refused


def test_openapi_python_client_is_available_where_the_test_extra_is_installed() -> None:
    assert shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
