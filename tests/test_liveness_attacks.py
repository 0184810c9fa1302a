"""The attack set, measured by the engine as the gate measures it: one photo of the person presented as a card
tilted, sheared or bent for the turns (the warp that reads as the asked turn, as an attacker with the open-source
pose code would choose), every frame tinted by the screen's colours, is refused as `flat`; the genuine sequence
(two photos of the same person: a real head at two yaws) passes."""

import dataclasses
import hashlib
import random

import numpy as np
import pytest
from liveness_attacks import attack_poses
from liveness_frames import _engine, pose_frames, sequence

from facegate.engine import liveness
from facegate.engine.liveness import Challenge, FrameSignal, assess, default_checks, new_challenge

pytestmark = pytest.mark.slow


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
