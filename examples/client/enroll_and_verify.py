"""Onboard one person through the REST API with facegate.client, then verify them 1:1.

The person is shown the deployment's notice, gives their separate consent, and is enrolled from one to three photos;
a verification then says match or no_match (never a distance). Every refusal raises a typed error carrying its
problem `code` and rule IDs; this script prints them.

    python examples/client/enroll_and_verify.py --url http://localhost:8000 --key fgk_... \\
        --deployment hq-lobby --subject s-1001 --enroll tests/data/obama.jpg --verify tests/data/obama2.jpg
"""

import argparse
import sys
from pathlib import Path

from facegate import client


def main() -> int:
    """Enroll with consent, then verify; exit 3 when the rules refuse, 2 for bad input (as the CLI does)."""
    ask = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ask.add_argument("--url", required=True, help="The server, e.g. http://localhost:8000")
    ask.add_argument("--key", required=True, help="An operator key granted the deployment")
    ask.add_argument("--deployment", required=True)
    ask.add_argument("--subject", required=True, help="A pseudonymous ID, never a name")
    ask.add_argument("--enroll", type=Path, nargs="+", required=True, help="1 to 3 photos of the person")
    ask.add_argument("--verify", type=Path, required=True, help="A photo to check against the enrollment")
    args = ask.parse_args()
    with client.Client(args.url, args.key) as api:
        try:
            try:
                api.add_subject(args.subject)
            except client.Conflict:
                print(f"{args.subject} is known already")
            api.notice_shown(args.deployment, args.subject)
            consent = api.give_consent(args.deployment, args.subject, form="separate", evidence_ref="example script")
            print(f"consent {consent['consent_id']} given, audit event {consent['event_id']}")
            enrolled = api.enroll(args.deployment, args.subject, *(p.read_bytes() for p in args.enroll))
            print(f"{args.subject} enrolled: {len(enrolled['template_ids'])} template(s)")
            answer = api.verify(args.deployment, args.subject, args.verify.read_bytes())
            print(f"verify {args.verify.name}: {answer['outcome']}")
        except client.Refused as refused:
            print(f"refused ({refused.code}) {refused.detail} {refused.rule_ids}; alternatives: {refused.alternatives}")
            return 3
        except client.InvalidInput as invalid:
            print(f"invalid input ({invalid.code}): {invalid.detail}")
            return 2
        except client.ApiError as error:  # another problem: conflict, not found, unauthorized, ...
            print(f"{error.code}: {error.detail}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
