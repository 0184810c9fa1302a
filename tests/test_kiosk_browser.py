"""The kiosk in Debian's Chromium with a fake camera: a clip written after the test reads the challenge passes it
and verifies; a still clip, and a clip of the photo tilted as a card on cue, are refused with the alternatives;
without a camera, the alternative still works."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gate_fixtures import example
from liveness_attacks import attack_poses
from liveness_frames import pose_frames, sequence, tinted
from test_api_fixtures import Env, consenting, make_env, photo, serving

from facegate.engine.liveness import Challenge

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).parent / "artifacts"
KIOSK = "hq-kiosk"
FPS = 10
LEAD_MS = 200  # the clip shows each moment this late, so a timeline started a little after the clip still lags it


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = FPS) -> None:
    """RGB frames as a YUV 4:2:0 Y4M clip (BT.601), the format Chromium's fake camera plays."""
    height, width = frames[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            rgb = frame.astype(np.float32)
            r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
            y = 0.299 * r + 0.587 * g + 0.114 * b
            u = (b - y) * 0.564 + 128
            v = (r - y) * 0.713 + 128
            planes = [y, u.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3)),
                      v.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))]  # fmt: skip
            out.write(b"FRAME\n")
            for plane in planes:
                out.write(np.clip(plane + 0.5, 0, 255).astype(np.uint8).tobytes())


def answering_clip(challenge: Challenge) -> list[np.ndarray]:
    """The person following the challenge, LEAD_MS late, then a second of looking straight at the screen."""
    frames = [frame for _, frame in sequence(challenge, fps=FPS)]
    lead = [tinted(pose_frames()["front"], challenge.colours[0])] * (LEAD_MS * FPS // 1000)
    return lead + frames + [pose_frames()["front"]] * FPS


def tilted_card_clip(challenge: Challenge) -> list[np.ndarray]:
    """The photo held up and tilted as a card on each turn, every frame tinted by the screen: only its flatness
    tells it from a head."""
    card = attack_poses("tilt")
    frames = [frame for _, frame in sequence(challenge, fps=FPS, poses=card)]
    lead = [tinted(card["front"], challenge.colours[0])] * (LEAD_MS * FPS // 1000)
    return lead + frames + [card["front"]] * FPS


def still_clip(seconds: int = 10) -> list[np.ndarray]:
    """A photo held up to the camera."""
    return [pose_frames()["front"]] * (seconds * FPS)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, str]]:
    """The app on a free local port, with an unattended kiosk deployment, obama enrolled and given a PIN."""
    environment = make_env(Path(tmp_path_factory.mktemp("kiosk")))
    env = next(environment)
    env.svc.gate.register(example("office-entry", id=KIOSK, camera={"min_face_px": 120}))
    env.keys["kiosk"] = env.keys["operator"] = env.svc.keys.create("operator", env.clock(), "kiosk", [KIOSK])[1]
    consenting(env, "obama", KIOSK)
    base = f"/api/v1/deployments/{KIOSK}/subjects/obama"
    assert env.client.post(base + "/enroll", files=photo("obama.jpg"), headers=env.auth("kiosk")).status_code == 201
    assert env.client.put(base + "/alternatives/pin", json={"pin": "2468"}, headers=env.auth("kiosk")).is_success
    with serving(env.client.app) as url:
        yield env, url
    next(environment, None)


@pytest.fixture(scope="module")
def playwright() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (make test installs it: scripts/test-chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "clip.y4m"
    write_y4m(path, still_clip(2))
    return path


@pytest.fixture(scope="module")
def camera_browser(playwright, clip: Path) -> Iterator[object]:  # type: ignore[no-untyped-def]
    camera = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              f"--use-file-for-fake-video-capture={clip}"]  # fmt: skip
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS + camera)
    yield browser
    browser.close()


def open_kiosk(browser, base: str, env: Env):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.goto(f"{base}/kiosk/{KIOSK}")
    page.fill("#operator-key", env.keys["kiosk"])
    page.click("#setup button[type=submit]")
    return context, page


def wait_for_video(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the kiosk's preview shows the camera (polled from here: the page's CSP forbids eval)."""
    preview = page.locator("#preview")
    for _ in range(300):
        if preview.evaluate("video => video.videoWidth") > 0:
            return
        page.wait_for_timeout(100)
    raise AssertionError("the kiosk's preview never showed the camera")


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def answer_with(page, clip: Path, make) -> None:  # type: ignore[no-untyped-def]
    """When the page asks for its challenge, write the camera clip for it, then let the answer through."""

    def handle(route) -> None:  # type: ignore[no-untyped-def]
        response = route.fetch()
        body = response.json()
        challenge = Challenge(
            tuple(body["turns"]), tuple(c["name"] for c in body["colours"]), body["segment_ms"], body["colour_ms"]
        )
        write_y4m(clip, make(challenge))
        route.fulfill(response=response)

    page.route("**/liveness/challenge", handle)


def test_the_challenge_answered_by_the_camera_verifies(server, camera_browser, clip: Path) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    context, page = open_kiosk(camera_browser, base, env)
    face, other = page.locator("#face-choice"), page.locator("#alt-choice")
    a, b = face.bounding_box(), other.bounding_box()
    assert a["y"] + 200 < 800 and b["y"] + 200 < 800 and abs(a["width"] - b["width"]) <= 1  # equal, first screen
    wait_for_video(page)
    shot(page, "kiosk-idle")
    answer_with(page, clip, answering_clip)
    page.fill("#face-subject", "obama")
    page.click("#start")
    page.wait_for_selector("#challenge:not([hidden])")
    page.wait_for_timeout(1500)
    shot(page, "kiosk-challenge")
    page.wait_for_selector("#outcome:not([hidden])", timeout=60_000)
    shot(page, "kiosk-match")
    assert page.locator("#outcome-title").inner_text() == "Verified. Welcome."
    assert page.evaluate("Object.keys(localStorage)") == ["facegate-kiosk-device"]  # no image kept in the browser
    context.close()


def test_a_still_picture_is_refused_with_the_alternatives(server, camera_browser, clip: Path) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    context, page = open_kiosk(camera_browser, base, env)
    answer_with(page, clip, lambda challenge: still_clip())
    page.fill("#face-subject", "obama")
    page.click("#start")
    page.wait_for_selector("#outcome:not([hidden])", timeout=60_000)
    shot(page, "kiosk-refusal")
    assert page.locator("#outcome-title").inner_text() == "The live check did not pass."
    detail = page.locator("#outcome-detail").inner_text()
    assert "head turns" in detail and "PIN" in detail
    context.close()


def test_a_photo_tilted_as_a_card_on_cue_is_refused_as_flat(server, camera_browser, clip: Path) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    context, page = open_kiosk(camera_browser, base, env)
    answer_with(page, clip, tilted_card_clip)
    page.fill("#face-subject", "obama")
    page.click("#start")
    page.wait_for_selector("#outcome:not([hidden])", timeout=60_000)
    assert page.locator("#outcome-title").inner_text() == "The live check did not pass."
    detail = page.locator("#outcome-detail").inner_text()
    assert "flat picture" in detail and "PIN" in detail
    gate = env.svc.gate
    with gate.db.session(readonly=True) as session:
        _, recent = gate.audit.recent(session, 3)
    refused = next(e for e in recent if str(e.get("outcome", "")).startswith("liveness_failed:"))
    assert "flat" in refused["outcome"].split(":", 1)[1].split(".")
    context.close()


def test_the_alternative_works_without_a_camera(server, playwright) -> None:  # type: ignore[no-untyped-def]
    env, base = server
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    context, page = open_kiosk(browser, base, env)
    page.wait_for_selector("text=No camera is available here")
    page.fill("#alt-subject", "obama")
    page.fill("#alt-secret", "1111")
    page.click("#alt-form button[type=submit]")
    page.wait_for_selector("text=That did not match")
    page.fill("#alt-secret", "2468")
    page.click("#alt-form button[type=submit]")
    page.wait_for_selector("#outcome:not([hidden])")
    assert page.locator("#outcome-title").inner_text() == "Verified without your face. Welcome."
    shot(page, "kiosk-alternative")
    context.close()
    browser.close()
