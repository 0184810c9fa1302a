"""The attack set, measured by the engine as the gate measures it: one photo of the person presented as a card
tilted, sheared, bent or folded along a vertical crease through the nose for the turns (the warp that reads as the
asked turn, as an attacker with the open-source pose code would choose), every frame tinted by the screen's
colours, is refused as `flat`; the genuine sequence (two photos of the same person: a real head at two yaws)
passes. Two photos swapped on cue are the genuine sequence itself: docs/liveness.md says it is not stopped."""

import dataclasses
import hashlib
import random

import numpy as np
import pytest
from liveness_attacks import attack_poses
from liveness_frames import _engine, pose_frames, sequence, timeline, tinted

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


@pytest.mark.parametrize("kind", ["tilt", "shear", "bend", "fold", "deep_fold", "screen"])
def test_a_photo_moved_as_a_flat_bent_or_folded_sheet_is_refused_as_flat(asked: Challenge, kind: str) -> None:
    reasons = assess(asked, _signals(asked, attack_poses(kind)), default_checks(_engine().threshold))
    assert "flat" in reasons, reasons


def test_the_tilted_card_follows_every_other_check_and_only_its_flatness_gives_it_away(asked: Challenge) -> None:
    reasons = assess(asked, _signals(asked, attack_poses("tilt")), default_checks(_engine().threshold))
    assert reasons == ["flat"]


def test_a_sheet_that_reads_as_deep_on_one_side_does_not_carry_the_turn_to_the_other(asked: Challenge) -> None:
    """Each side the head turns to is judged on its own: a real turn one way and a tilted card the other is flat."""
    mixed = {**pose_frames(), "right": attack_poses("tilt")["right"]}
    both = Challenge(("left", "right"), asked.colours, asked.segment_ms, asked.colour_ms)
    assert liveness.StructureCheck().failures(both, _signals(both, mixed)) == ["flat"]
    assert liveness.StructureCheck().failures(both, _signals(both, pose_frames())) == []


def test_the_light_check_reads_every_challenge_and_refuses_the_same_colours_one_step_late() -> None:
    """Over 300 challenges (sequences with more of one colour, or alternating ones, included): the genuine
    sequence's light is read right every time; the same sequence one colour step late (a replay that reacts to the
    screen too slowly) is refused every time."""
    poses = pose_frames()
    seen = {
        (pose, colour): liveness.measure(_engine(), tinted(poses[pose], colour), 0.0)
        for pose in poses
        for colour in liveness.PALETTE
    }

    def signals(asked: Challenge, lit_by: Challenge) -> list[FrameSignal]:
        return [
            dataclasses.replace(seen[pose, colour], t_ms=t) for t, pose, colour in timeline(asked, colours_of=lit_by)
        ]

    light = liveness.LightCheck()
    for seed in range(300):
        asked = new_challenge(random.Random(seed))
        runs = zip(asked.colours, asked.colours[1:], asked.colours[2:], asked.colours[3:], strict=False)
        assert not any(a == c and b == d for a, b, c, d in runs), asked.colours  # never A B A B
        late = Challenge(asked.turns, asked.colours[1:] + asked.colours[:1], asked.segment_ms, asked.colour_ms)
        assert light.failures(asked, signals(asked, asked)) == [], (seed, asked.colours)
        assert light.failures(asked, signals(asked, late)) == ["light"], (seed, asked.colours)
