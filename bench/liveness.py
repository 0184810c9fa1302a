"""Liveness against synthetic presentation attacks: APCER per attack and BPCER on genuine sequences, and the cost.

    .venv/bin/python bench/liveness.py [--attempts 50] [--people 12] [--cost-frames 48] [--min-face-px 150]

ISO/IEC 30107-3 terms, measured on synthetic frames only (this is not a conformance test):
- APCER (per attack kind): the share of attack presentations accepted (every check passed);
- BPCER: the share of bona fide (genuine) presentations rejected.

People: LFW identities with a frontal photo (|yaw| <= 6) and a turned one (|yaw| >= 14) by engine/pose.py, each
placed in a 640x480 frame (face about 220 px). Each attempt draws a fresh random challenge and one of --people
identities. Genuine: front = the frontal photo, the turn asked = the turned photo (mirrored for the other side),
tinted 30% by the challenge's colours. Attacks, all from the frontal photo: still (untinted), tinted still, tilted
card, shear, cylinder bend, a print folded 35 or 60 degrees along a vertical crease through the middle of the frame
and turned 28 degrees, face on a screen (each turned warp chosen as the variant that reads most turned),
replay (a genuine session recorded for another challenge), person swap (another person from mid-sequence).
A distinct frame is measured once (the sequences repeat frames), so the run is short; the cost figure measures
48 distinct 640x480 frames (as the gate does, with the camera's min_face_px) and the checks, in one process
(one core). `--attempts 0` measures the cost only.
"""

import argparse
import dataclasses
import hashlib
import random
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from liveness_attacks import card, screen  # noqa: E402
from liveness_frames import sequence  # noqa: E402

from facegate.engine import liveness  # noqa: E402
from facegate.engine.dlib_backend import DlibEngine  # noqa: E402
from facegate.engine.images import load_image  # noqa: E402
from facegate.engine.pose import estimate  # noqa: E402

LFW = ROOT.parent / "shared" / "data" / "lfw"
CENTRE = (320.0, 240.0)
WARPS = ("tilted_card", "shear", "cylinder_bend", "fold", "deep_fold", "screen")
ATTACKS = ("still", "tinted_still", *WARPS, "replay", "person_swap")


def frame(path: Path) -> np.ndarray:
    """An LFW photo enlarged into a 640x480 frame on grey (face about 220 px)."""
    big = np.asarray(Image.fromarray(load_image(path)).resize((500, 500)))
    out = np.full((480, 640, 3), 110, np.uint8)
    out[:, 70:570] = big[10:490]
    return out


def people(engine: DlibEngine, wanted: int, rng: random.Random) -> list[dict[str, np.ndarray]]:
    """Identities with a frontal and a turned photo: {"front", "left", "right"} frames."""
    names = [line.split("\t") for line in (LFW / "people.txt").read_text().splitlines() if "\t" in line]
    names = [n for n, count in names if int(count) >= 6]
    rng.shuffle(names)
    found = []
    for name in names:
        poses = []
        for path in sorted((LFW / "images" / name).glob("*.jpg"))[:10]:
            image = frame(path)
            faces = engine.detect(image)
            if len(faces) == 1:
                head = estimate(engine.points(image, faces[0]))
                if abs(head.pitch) < 15:
                    poses.append((head.yaw, image))
        front = [p for p in poses if abs(p[0]) <= 6]
        turned = [p for p in poses if abs(p[0]) >= 14]
        if front and turned:
            yaw, side = max(turned, key=lambda p: abs(p[0]))
            mirrored = side[:, ::-1].copy()
            left, right = (side, mirrored) if yaw > 0 else (mirrored, side)
            found.append({"front": front[0][1], "left": left, "right": right})
            if len(found) == wanted:
                break
    return found


class Measured:
    """Frames measured once each (by content), re-timed for each sequence."""

    def __init__(self, engine: DlibEngine) -> None:
        self.engine, self.seen = engine, {}  # type: ignore[var-annotated]

    def signals(self, frames: list[tuple[float, np.ndarray]]) -> list[liveness.FrameSignal]:
        """The sequence's signals."""
        out = []
        for t, image in frames:
            key = hashlib.sha1(image.tobytes()).digest()
            if key not in self.seen:
                self.seen[key] = liveness.measure(self.engine, image, 0.0)
            out.append(dataclasses.replace(self.seen[key], t_ms=t))
        return out


def attack_poses(engine: DlibEngine, kind: str, person: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The frontal photo for "front" and, per turn, the warp (of either sign) that reads most as that turn."""
    still = person["front"]
    warps = {
        "tilted_card": lambda s: card(still, CENTRE, tilt=40 * s),
        "shear": lambda s: card(still, CENTRE, shear=0.3 * s),
        "cylinder_bend": lambda s: card(still, CENTRE, tilt=35 * s, radius=260.0),
        "fold": lambda s: card(still, CENTRE, tilt=28 * s, fold=35.0),
        "deep_fold": lambda s: card(still, CENTRE, tilt=28 * s, fold=60.0),
        "screen": lambda s: screen(card(still, CENTRE, tilt=40 * s), CENTRE),
    }
    poses = {"front": screen(still, CENTRE) if kind == "screen" else still}
    for turn, wanted in (("left", 1), ("right", -1)):
        best, best_yaw = None, -1e9
        for sign in (1, -1):
            image = warps[kind](sign)
            faces = engine.detect(image)
            yaw = estimate(engine.points(image, faces[0])).yaw * wanted if len(faces) == 1 else -1e9
            if yaw > best_yaw:
                best, best_yaw = image, yaw
        poses[turn] = best  # type: ignore[assignment]
    return poses


def presentation(
    kind: str, asked: liveness.Challenge, person: dict, other: dict, rng: random.Random, poses: dict
) -> list[tuple[float, np.ndarray]]:
    """The frames of one presentation of `kind` answering `asked`."""
    if kind == "genuine":
        return sequence(asked, poses=person)
    if kind == "still":
        return [(t, person["front"]) for t, _ in sequence(asked, poses=person)]
    if kind == "tinted_still":
        return sequence(asked, poses={k: person["front"] for k in ("front", "left", "right")})
    if kind == "replay":
        return sequence(liveness.new_challenge(rng), poses=person)
    if kind == "person_swap":
        return sequence(asked, poses=person, switch_to=other)
    return sequence(asked, poses=poses)


def main() -> None:
    """Run the attack set and the genuine set; print APCER, BPCER and the cost."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=50, help="presentations per attack kind and genuine")
    parser.add_argument("--people", type=int, default=12, help="LFW identities drawn from")
    parser.add_argument("--cost-frames", type=int, default=48)
    parser.add_argument("--min-face-px", type=int, default=150, help="the deployment's camera.min_face_px")
    parser.add_argument("--seed", type=int, default=30107)
    args = parser.parse_args()
    if not LFW.is_dir():
        sys.exit(f"needs LFW at {LFW}")
    rng = random.Random(args.seed)
    engine = DlibEngine()
    checks = liveness.default_checks(engine.threshold)
    started = time.monotonic()
    crowd = people(engine, args.people, rng)
    print(f"{len(crowd)} identities found in {time.monotonic() - started:.0f} s")
    measured = Measured(engine)
    warped = {}
    print(f"{'presentation':<14} {'n':>4} {'accepted':>9} {'rate':>8}  reasons of the refusals")
    for kind in ("genuine", *ATTACKS) if args.attempts else ():
        accepted, reasons = 0, {}  # type: ignore[var-annotated]
        for attempt in range(args.attempts):
            who = attempt % len(crowd)
            person, other = crowd[who], crowd[(who + 1) % len(crowd)]
            if kind in WARPS and (kind, who) not in warped:
                warped[(kind, who)] = attack_poses(engine, kind, person)
            asked = liveness.new_challenge(rng)
            frames = presentation(kind, asked, person, other, rng, warped.get((kind, who), {}))
            failed = liveness.assess(asked, measured.signals(frames), checks)
            accepted += not failed
            for reason in failed:
                reasons[reason] = reasons.get(reason, 0) + 1
        rate = (args.attempts - accepted) / args.attempts if kind == "genuine" else accepted / args.attempts
        label = "BPCER" if kind == "genuine" else "APCER"
        summary = ", ".join(f"{r} {n}" for r, n in sorted(reasons.items(), key=lambda x: -x[1]))
        print(f"{kind:<14} {args.attempts:>4} {accepted:>9} {label} {rate:6.1%}  {summary}", flush=True)
    # Cost: a sequence of distinct 640x480 frames (each measured: detection, 5 points, pose, embedding, patch).
    person = crowd[0]
    asked = liveness.new_challenge(rng)
    frames = sequence(asked, fps=args.cost_frames / (asked.duration_ms / 1000), poses=person)[: args.cost_frames]
    frames = [(t, np.clip(f.astype(np.int16) + i % 7 - 3, 0, 255).astype(np.uint8)) for i, (t, f) in enumerate(frames)]
    t0 = time.process_time()
    signals = [liveness.measure(engine, f, t, args.min_face_px) for t, f in frames]
    t1 = time.process_time()
    liveness.assess(asked, signals, checks)
    t2 = time.process_time()
    structure = liveness.StructureCheck()
    t3 = time.process_time()
    structure.failures(asked, signals)
    t4 = time.process_time()
    print(
        f"cost of {len(frames)} frames of 640x480, min_face_px {args.min_face_px} (CPU time, one process): "
        f"measure {t1 - t0:.2f} s, "
        f"checks {t2 - t1:.3f} s (of which structure {t4 - t3:.3f} s), total {t2 - t0:.2f} s"
    )


if __name__ == "__main__":
    main()
