"""The example scripts in examples/client/ run as written against a real server (uvicorn on loopback): enroll with
consent and verify, then identify every face of a group photo; a refusal prints its code and rule IDs."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_api_fixtures import DATA, GALLERY, OFFICE, Env, make_env, serving

from facegate.client import Client

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "client"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def example(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True, timeout=300)


def test_the_client_examples_run_against_a_served_instance(env: Env) -> None:
    key = env.keys["operator"]
    with serving(env.client.app) as url:
        common = ["--url", url, "--key", key]
        enrolled = example("enroll_and_verify.py", *common, "--deployment", OFFICE, "--subject", "obama",
                           "--enroll", str(DATA / "obama.jpg"), "--verify", str(DATA / "obama2.jpg"))  # fmt: skip
        assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
        assert "obama enrolled: 1 template(s)" in enrolled.stdout and "verify obama2.jpg: match" in enrolled.stdout

        api = Client(url, key)
        api.notice_shown(GALLERY, "obama")
        api.give_consent(GALLERY, "obama")
        api.enroll(GALLERY, "obama", (DATA / "obama.jpg").read_bytes())
        group = example("identify_group_photo.py", *common, "--deployment", GALLERY, str(DATA / "two_people.jpg"))
        assert group.returncode == 0, group.stdout + group.stderr
        auditor = Client(url, env.keys["auditor"])
        events = [e["event_id"] for e in auditor.audit_entries(limit=2, operation="identify")][:2]  # newest first
        assert group.stdout.splitlines() == [
            "2 face(s); gallery 1, threshold 0.423",
            f"  244, 62, 395, 212: obama (audit event {events[1]})",
            f"  792, 95, 942, 245: no_match (audit event {events[0]})",
        ]

        api.add_subject("alex")
        api.notice_shown(OFFICE, "alex")
        api.call("POST", f"/api/v1/deployments/{OFFICE}/subjects/alex/decline")
        photo = str(DATA / "alex-lacamoire.png")
        refused = example("enroll_and_verify.py", *common, "--deployment", OFFICE, "--subject", "alex",
                          "--enroll", photo, "--verify", photo)  # fmt: skip
        assert refused.returncode == 3, refused.stdout + refused.stderr
        assert "alex is known already" in refused.stdout and "refused (subject_declined)" in refused.stdout

