"""The attack set, measured by the engine as the gate measures it: one photo of the person presented as a card
tilted, sheared or bent for the turns (the warp that reads as the asked turn, as an attacker with the open-source
pose code would choose), every frame tinted by the screen's colours, is refused as `flat`; the genuine sequence
(two photos of the same person: a real head at two yaws) passes."""

import dataclasses
import hashlib
import random
from functools import cache

import numpy as np
import pytest
from liveness_attacks import card, screen
from liveness_frames import _engine, pose_frames, posed, sequence

from facegate.engine import liveness
from facegate.engine.liveness import Challenge, FrameSignal, assess, default_checks, new_challenge

pytestmark = pytest.mark.slow
CENTRE = (320.0, 240.0)  # posed() centres the face in the 640x480 frame


def _yaw(frame: np.ndarray) -> float | None:
    signal = liveness.measure(_engine(), frame, 0.0)
    return signal.pose.yaw if signal.pose is not None else None


@cache
def attack_poses(kind: str) -> dict[str, np.ndarray]:
    """The still photo for "front" and, for each turn, the warp of it (of either sign) that reads as that turn."""
    still = posed("obama.jpg")
    warps = {
        "tilt": lambda sign: card(still, CENTRE, tilt=40 * sign),
        "shear": lambda sign: card(still, CENTRE, shear=0.3 * sign),
        "bend": lambda sign: card(still, CENTRE, tilt=35 * sign, radius=260.0),
        "screen": lambda sign: screen(card(still, CENTRE, tilt=40 * sign), CENTRE),
    }
    poses = {"front": screen(still, CENTRE) if kind == "screen" else still}
    for turn, wanted in (("left", 1), ("right", -1)):
        candidates = [warps[kind](sign) for sign in (1, -1)]
        poses[turn] = max(candidates, key=lambda f: wanted * (_yaw(f) or 0.0))
    return poses


_measured: dict[bytes, FrameSignal] = {}


def _signals(challenge: Challenge, poses: dict[str, np.ndarray]) -> list[FrameSignal]:
    """The sequence measured frame by frame (a frame seen before is measured once: the sequences repeat frames)."""
    out = []
    for t, frame in sequence(challenge, poses=poses):
        key = hashlib.sha1(frame.tobytes()).digest()
        if key not in _measured:
            _measured[key] = liveness.measure(_engine(), frame, 0.0)
        out.append(dataclasses.replace(_measured[key], t_ms=t))
    return out


@pytest.fixture(scope="module")
def asked() -> Challenge:
    return new_challenge(random.Random(20))


def test_the_genuine_sequence_passes(asked: Challenge) -> None:
    assert assess(asked, _signals(asked, pose_frames()), default_checks(_engine().threshold)) == []


@pytest.mark.parametrize("kind", ["tilt", "shear", "bend", "screen"])
def test_a_photo_moved_as_a_flat_or_bent_sheet_is_refused_as_flat(asked: Challenge, kind: str) -> None:
    reasons = assess(asked, _signals(asked, attack_poses(kind)), default_checks(_engine().threshold))
    assert "flat" in reasons, reasons


def test_the_tilted_card_follows_every_other_check_and_only_its_flatness_gives_it_away(asked: Challenge) -> None:
    reasons = assess(asked, _signals(asked, attack_poses("tilt")), default_checks(_engine().threshold))
    assert reasons == ["flat"]
