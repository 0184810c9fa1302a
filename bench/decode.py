"""Peak memory of many worst-case uploads at once: 16-bit PNGs of 6320x6320 (about 80 KB each), decoded and searched.

    .venv/bin/python bench/decode.py [--uploads 16] [--budget-mb 512] [--no-baseline] [--jpeg] [--api]

With --api the same JPEG is posted 16 times at once to `POST .../verify` of a real `facegate serve` with 2 engine
workers (the photo goes to a worker as bytes), and the peak RSS of the server and its workers together is printed.
With --jpeg the uploads are a 6000x4000 camera JPEG instead, decoded as a photo is now (`decode_for_faces`: at
the DCT scale that keeps 4 MP for the detector, here 1/2) against the full-size decode (`decode_image`) as the
same-run baseline, both with the default budget.

Each upload runs what a verification does before the template is touched: `decode_image`, then the engine's
face detection, in its own thread, all at once. Each configuration runs in a fresh process and reports that
process's peak RSS; the baseline is the same run with the decoding budget out of the way (a budget larger than
all the uploads together), i.e. the decodes bounded only by the per-image limits.
"""

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from facegate.errors import ImageError

SIDE = 6320


def worst_case_png(side: int = SIDE) -> bytes:
    """A flat 16-bit grayscale PNG: tens of kilobytes on the wire, 80 MB decoded."""
    buffer = io.BytesIO()
    Image.fromarray(np.full((side, side), 30000, np.uint16)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def camera_jpeg() -> bytes:
    """A 6000x4000 JPEG of a face (a sample photo scaled up), as a high-resolution camera writes it."""
    source = Image.open(Path(__file__).resolve().parents[1] / "tests" / "data" / "obama.jpg").convert("RGB")
    scene = source.resize((6000, 4000), Image.Resampling.BILINEAR)  # a stretched backdrop: HOG finds no face in it
    scene.paste(source.resize((3200, 4000), Image.Resampling.BILINEAR), (1400, 0))
    buffer = io.BytesIO()
    scene.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def child(uploads: int, jpeg: str) -> None:
    """Run the uploads in this process (its budget from $FACEGATE_DECODE_MEMORY_MB); print one JSON line."""
    from facegate.engine.dlib_backend import DlibEngine
    from facegate.engine.images import decode_image as full_size
    from facegate.errors import decode_for_faces

    def decode_image(data: bytes) -> np.ndarray:
        return decode_for_faces(data)[0] if jpeg == "scaled" else full_size(data)

    engine = DlibEngine()
    data = camera_jpeg() if jpeg else worst_case_png()
    engine.detect(np.zeros((100, 100, 3), np.uint8))
    idle = peak_rss_mb()
    outcomes: list[str] = []

    def upload() -> None:
        try:
            pixels = decode_image(data)
            outcomes.append(f"{len(engine.detect(pixels))} faces")
        except ImageError as exc:
            outcomes.append(type(exc).__name__)

    started = time.perf_counter()
    threads = [threading.Thread(target=upload) for _ in range(uploads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    print(json.dumps({"idle_mb": idle, "peak_mb": peak_rss_mb(), "seconds": seconds, "outcomes": outcomes,
                      "upload_bytes": len(data)}))  # fmt: skip


def through_api(uploads: int) -> None:
    """`uploads` concurrent verifications of the large JPEG through `facegate serve` (2 engine workers)."""
    import signal
    import tempfile

    import httpx
    from load import DEPLOYMENT, peak_rss_mb, prepare, reset_peak, serve

    data = camera_jpeg()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        secret = prepare(home, 1, Path(__file__).resolve().parents[1] / "tests" / "data" / "obama.jpg")
        server, url = serve(home, {**os.environ, "FACEGATE_HOME": str(home)}, 2)
        try:
            path = f"{url}/api/v1/deployments/{DEPLOYMENT}/subjects/load-0/verify"
            headers = {"Authorization": f"Bearer {secret}"}
            httpx.post(path, files={"image": ("p.jpg", data, "image/jpeg")}, headers=headers, timeout=300)
            idle = peak_rss_mb(server.pid)
            reset_peak(server.pid)
            outcomes: list[str] = []

            def upload() -> None:
                answer = httpx.post(path, files={"image": ("p.jpg", data, "image/jpeg")}, headers=headers, timeout=300)
                outcomes.append(answer.json().get("outcome") or str(answer.status_code))

            started = time.perf_counter()
            threads = [threading.Thread(target=upload) for _ in range(uploads)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seconds = time.perf_counter() - started
            peak = peak_rss_mb(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
    print(f"{uploads} concurrent verifications of a 6000x4000 JPEG ({len(data) / 1024:.0f} KB) through facegate serve,"
          f" 2 engine workers: server + workers RSS after one {idle:.0f} MB, peak {peak:.0f} MB, {seconds:.1f} s, "
          f"outcomes {sorted(set(outcomes))}")  # fmt: skip


def run(uploads: int, budget_mb: int, jpeg: str = "") -> dict:
    """One configuration in a fresh process."""
    env = {**os.environ, "FACEGATE_DECODE_MEMORY_MB": str(budget_mb)}
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--uploads", str(uploads), *(["--jpeg-decode", jpeg] if jpeg else [])],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print peak RSS with the decoding budget, and without it as the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=16)
    parser.add_argument("--budget-mb", type=int, default=512)
    parser.add_argument("--no-baseline", action="store_true", help="Skip the unbounded run (it needs several GB).")
    parser.add_argument("--jpeg", action="store_true", help="A 6000x4000 JPEG, DCT-scaled against full size.")
    parser.add_argument("--api", action="store_true", help="The JPEG through facegate serve (2 engine workers).")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--jpeg-decode", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.uploads, args.jpeg_decode)
        return
    if args.api:
        through_api(args.uploads)
        return
    if args.jpeg:
        print(f"{args.uploads} concurrent uploads of a 6000x4000 JPEG, decode + detection, budget {args.budget_mb} MB")
        for name, how in (("DCT-scaled (now)", "scaled"), ("full size (baseline)", "full")):
            r = run(args.uploads, args.budget_mb, how)
            kinds = sorted(set(r["outcomes"]))
            print(f"  {name:22s} upload {r['upload_bytes'] / 1024:.0f} KB  idle {r['idle_mb']:.0f} MB  "
                  f"peak RSS {r['peak_mb']:.0f} MB  {r['seconds']:.1f} s  outcomes {kinds}")  # fmt: skip
        return
    configs = [(f"budget {args.budget_mb} MB", args.budget_mb)]
    if not args.no_baseline:
        configs.append(("no budget (baseline)", 1_000_000))
    print(f"{args.uploads} concurrent uploads of a {SIDE}x{SIDE} 16-bit PNG, decode + detection")
    for name, budget in configs:
        r = run(args.uploads, budget)
        kinds = sorted(set(r["outcomes"]))
        print(f"  {name:22s} upload {r['upload_bytes'] / 1024:.0f} KB  idle {r['idle_mb']:.0f} MB  "
              f"peak RSS {r['peak_mb']:.0f} MB  {r['seconds']:.1f} s  outcomes {kinds}")  # fmt: skip


if __name__ == "__main__":
    main()
