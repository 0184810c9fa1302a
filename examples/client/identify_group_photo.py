"""Identify every face of a group photo through the REST API with facegate.client.

Each face is decided on its own at the gallery's threshold and has its own audit event; a face too small to
search is listed with its box. `--largest` asks for the largest face only.

    python examples/client/identify_group_photo.py --url http://localhost:8000 --key fgk_... \\
        --deployment hq-gallery tests/data/two_people.jpg
"""

import argparse
import sys
from pathlib import Path

from facegate import client


def main() -> int:
    """Print one line per face: its box and who it is (or why no one)."""
    ask = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ask.add_argument("--url", required=True, help="The server, e.g. http://localhost:8000")
    ask.add_argument("--key", required=True, help="An operator key granted the 1:N deployment")
    ask.add_argument("--deployment", required=True)
    ask.add_argument("--largest", action="store_true", help="Identify the largest face only")
    ask.add_argument("photo", type=Path)
    args = ask.parse_args()
    with client.Client(args.url, args.key) as api:
        try:
            answer = api.identify(args.deployment, args.photo.read_bytes(), "largest" if args.largest else "all")
        except client.ApiError as error:
            print(f"{error.code}: {error.detail} {error.rule_ids or ''}".rstrip())
            return 3 if isinstance(error, client.Refused) else 2
    print(f"{len(answer['faces'])} face(s); gallery {answer['gallery_size']}, threshold {answer['threshold']:.3f}")
    for face in answer["faces"]:
        who = face["subject"] or face["outcome"]
        print(f"  {', '.join(map(str, face['box']))}: {who} (audit event {face['event_id'] or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
