"""The gate's commands: deployments, subjects, consents, enroll / verify / identify, alternatives, purge."""

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from facegate.cli.app import (
    Actor,
    Deployment_,
    Home,
    Json,
    Subject_,
    app,
    caller,
    console,
    count,
    err_console,
    keys_app,
    open_gate,
    print_json,
    show,
)
from facegate.cli.compliance import Profiles, SpecFile, read_spec
from facegate.errors import InputError


def photo(path: Path) -> bytes:
    """A photo's bytes, with the engine's checks of its size and kind (it is decoded only in memory)."""
    from facegate.gate import read_photo

    return read_photo(path)


deployment_app = typer.Typer(
    rich_markup_mode=None, help="Register, update, activate and retire deployments.", no_args_is_help=True
)
app.add_typer(deployment_app, name="deployment")


@deployment_app.command("register")
def deployment_register(
    file: SpecFile,
    profile: Profiles = None,
    draft: Annotated[bool, typer.Option("--draft", help="Register without activating.")] = False,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Register a deployment whose spec `facegate check` allows, and activate it."""
    from facegate import policy

    spec = read_spec(file)
    decision = open_gate(home, create=True).register(
        spec, caller(actor), tuple(profile or [policy.DEFAULT_PROFILE]), activate=not draft
    )
    show(decision, json_out, f"deployment {spec.id}: {decision.outcome} ({decision.details['verdict']})")


@deployment_app.command("update")
def deployment_update(file: SpecFile, actor: Actor = "operator:cli", json_out: Json = False, home: Home = None) -> None:
    """Replace a deployment's spec; a change of purpose or method suspends it until reassessed."""
    spec = read_spec(file)
    decision = open_gate(home).update(spec, caller(actor))
    triggers = ", ".join(decision.details["triggers"]) or "none"
    show(
        decision,
        json_out,
        f"deployment {spec.id}: {decision.outcome} (reassessment triggers: {triggers}; "
        f"{decision.details['stale_consents']} consents now stale)",
    )


@deployment_app.command("activate")
def deployment_activate(
    deployment: Deployment_, actor: Actor = "operator:cli", json_out: Json = False, home: Home = None
) -> None:
    """Activate a draft or suspended deployment (no BLOCK finding, approved impact assessment)."""
    decision = open_gate(home).activate(deployment, caller(actor))
    show(decision, json_out, f"deployment {deployment}: {decision.outcome}")


@deployment_app.command("attest")
def deployment_attest(
    deployment: Deployment_,
    claim: Annotated[str, typer.Argument(help="statutory_basis, sole_method, public_security_commission, ...")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who attests (a DPO or counsel), by name.")],
    document: Annotated[str, typer.Option("--document", help="The document relied on.")],
    actor: Annotated[
        str,
        typer.Option(
            "--actor",
            help="The reviewer's own identity as the audit log records it (reviewer:NAME); no default, and never the "
            "actor who registered or changed the spec.",
        ),
    ],
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Record a reviewer's attestation of a claim of the spec (regulation.md §4.8) in the audit log."""
    if not actor.startswith("reviewer:") or not actor.removeprefix("reviewer:").strip():
        raise InputError(f"--actor {actor!r}: an attestation is recorded under the reviewer's identity, reviewer:NAME")
    decision = open_gate(home).attest(deployment, claim, reviewer, document, caller(actor))
    show(decision, json_out, f"deployment {deployment}: {claim} attested by {reviewer}")


incident_app = typer.Typer(help="Security incidents: a major one reopens the impact assessment.", no_args_is_help=True)
app.add_typer(incident_app, name="incident")


@incident_app.command("record")
def incident_record(
    deployment: Deployment_,
    level: Annotated[str, typer.Option("--level", help="minor, moderate, major or critical (§8 Q14).")],
    description: Annotated[str, typer.Option("--description", help="What happened (no biometric data).")],
    off_device: Annotated[
        bool, typer.Option("--off-device", help="Facial data moved off the device without authorisation.")
    ] = False,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Record a security incident; a major one suspends the deployment until a new assessment (CN25-9d)."""
    decision = open_gate(home).record_incident(
        deployment, level, description, off_device_movement=off_device, caller=caller(actor)
    )
    opened = "reassessment opened" if decision.details["reassessment_opened"] else "no reassessment needed"
    show(decision, json_out, f"incident on {deployment} recorded ({level}): {opened}; status {decision.outcome}")


@deployment_app.command("retire")
def deployment_retire(
    deployment: Deployment_, actor: Actor = "operator:cli", json_out: Json = False, home: Home = None
) -> None:
    """Retire a deployment: it stops and its templates are deleted."""
    decision = open_gate(home).retire(deployment, caller(actor))
    show(decision, json_out, f"deployment {deployment}: {decision.outcome}")


@deployment_app.command("list")
def deployment_list(json_out: Json = False, home: Home = None) -> None:
    """Every registered deployment with its status and number of enrolled subjects."""
    rows = open_gate(home).deployments()
    if json_out:
        print_json(rows)
        return
    table = Table("deployment", "status", "profiles", "enrolled subjects", "updated")
    for r in rows:
        table.add_row(r["id"], r["status"], ", ".join(r["profiles"]), str(r["enrolled_subjects"]), r["updated_at"])
    console.print(table)


subject_app = typer.Typer(
    rich_markup_mode=None, help="Subjects and their rights: add, show, export, delete.", no_args_is_help=True
)
app.add_typer(subject_app, name="subject")


@subject_app.command("add")
def subject_add(
    subject: Annotated[str | None, typer.Argument(help="Subject ID (generated when omitted).")] = None,
    birth_date: Annotated[datetime | None, typer.Option("--birth-date", formats=["%Y-%m-%d"])] = None,
    age_band: Annotated[str | None, typer.Option("--age-band", help="under_14 or 14_plus, when no birth date.")] = None,
    guardian: Annotated[str | None, typer.Option("--guardian", help="Reference to the guardian's identity.")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Add a subject under a pseudonymous ID."""
    born = birth_date.date() if birth_date else None
    decision = open_gate(home, create=True).add_subject(subject, born, age_band, guardian, caller(actor))
    show(decision, json_out, f"subject {decision.subject} added")


@subject_app.command("show")
def subject_show(subject: Subject_, json_out: Json = False, home: Home = None) -> None:
    """What is held on a subject: for which deployment, since when, until when; consents."""
    record = open_gate(home).access(subject)
    if json_out:
        print_json(record)
        return
    console.print(f"subject {record['subject']} (since {record['created_at']})", markup=False)
    for held in record["facial_data"]:
        console.print(
            f"  {held['deployment']}: {count(held['templates'], 'template')}, "
            f"{count(held['raw_images'], 'raw image')}, "
            f"held since {held['since']} until {held['until']}",
            markup=False,
        )
    for c in record["consents"]:
        state = "withdrawn" if c["withdrawn_at"] else "stale" if c["stale_at"] else "current"
        console.print(
            f"  consent {c['deployment']} {c['kind']} ({c['form']}, by {c['given_by']}): {state}", markup=False
        )


@subject_app.command("export")
def subject_export(
    subject: Subject_,
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON here instead of stdout.")] = None,
    home: Home = None,
) -> None:
    """What is held on the subject as JSON, audited; templates go only to the subject, through a portal link."""
    record = open_gate(home).export(subject)
    if out is None:
        print_json(record)
    else:
        out.write_text(json.dumps(record, indent=2, ensure_ascii=False))
        err_console.print(f"wrote {out}")


@subject_app.command("delete")
def subject_delete(subject: Subject_, actor: Actor = "operator:cli", json_out: Json = False, home: Home = None) -> None:
    """Delete a subject everywhere: data keys shredded, rows removed, a receipt in the audit log."""
    decision = open_gate(home).delete_subject(subject, caller(actor))
    show(decision, json_out, f"subject {subject} deleted; receipt {decision.event_id}")


CONSENT_KIND_HELP = "facial_processing, external_transmission, raw_image_retention or cross_border."
consent_app = typer.Typer(rich_markup_mode=None, help="Separate consents: give and withdraw.", no_args_is_help=True)
app.add_typer(consent_app, name="consent")


@consent_app.command("give")
def consent_give(
    deployment: Deployment_,
    subject: Subject_,
    kind: Annotated[str, typer.Option("--kind", help=CONSENT_KIND_HELP)] = "facial_processing",
    form: Annotated[str, typer.Option("--form", help="separate or written.")] = "separate",
    by: Annotated[str, typer.Option("--by", help="subject or guardian.")] = "subject",
    guardian: Annotated[str | None, typer.Option("--guardian", help="The guardian's identity reference.")] = None,
    evidence: Annotated[str | None, typer.Option("--evidence", help="Signed artefact of a written consent.")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Record the subject's separate consent, bound to the current notice version.

    After the subject declined, asking again is refused for the re-prompt window (CN25-12b): only the subject,
    through their own link (the portal or /api/v1/me), may ask again sooner.
    """
    gate = open_gate(home)
    decision = gate.give_consent(deployment, subject, kind, form, by, guardian, evidence, False, caller(actor))
    show(decision, json_out, f"consent {kind} of {subject} for {deployment}: given")


@consent_app.command("withdraw")
def consent_withdraw(
    deployment: Deployment_, subject: Subject_, actor: Actor = "operator:cli", json_out: Json = False, home: Home = None
) -> None:
    """Withdraw consent: processing stops and the subject's facial data is deleted at once."""
    decision = open_gate(home).withdraw(deployment, subject, caller(actor))
    show(decision, json_out, f"consent withdrawn; {count(decision.details['templates_deleted'], 'template')} deleted")


@app.command()
def decline(
    deployment: Deployment_, subject: Subject_, actor: Actor = "operator:cli", json_out: Json = False, home: Home = None
) -> None:
    """The subject chooses a non-biometric method instead of face recognition."""
    decision = open_gate(home).decline(deployment, subject, caller(actor))
    alternatives = ", ".join(decision.details["alternatives"])
    show(decision, json_out, f"{subject} declined face recognition; alternatives: {alternatives}")


@app.command()
def enroll(
    deployment: Deployment_,
    subject: Subject_,
    images: Annotated[list[Path], typer.Argument(help="1 to 3 photos, each with one face.", metavar="IMAGE...")],
    purpose: Annotated[str | None, typer.Option("--purpose", help="The purpose of this request.")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Enroll a subject's face from 1 to 3 photos (the photos are not kept); many subjects: `facegate import`."""
    decision = open_gate(home).enroll(deployment, subject, [photo(p) for p in images], purpose, caller(actor))
    many = f" from {len(images)} photos" if len(images) > 1 else ""
    show(decision, json_out, f"{subject} enrolled in {deployment}{many}")


@app.command()
def verify(
    deployment: Deployment_,
    subject: Subject_,
    image: Annotated[Path, typer.Argument(help="A photo of the person at the gate.")],
    purpose: Annotated[str | None, typer.Option("--purpose")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """1:1: is the person in the photo the enrolled subject? Prints match or no_match."""
    decision = open_gate(home).verify(deployment, subject, photo(image), purpose, caller(actor))
    show(decision, json_out, f"{decision.outcome}: {subject} in {deployment}")


@app.command()
def identify(
    deployment: Deployment_,
    image: Annotated[Path, typer.Argument(help="A photo of the people to identify.")],
    largest: Annotated[bool, typer.Option("--largest", help="Identify the largest face only.")] = False,
    purpose: Annotated[str | None, typer.Option("--purpose")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """1:N: which enrolled subject of the deployment each face in the photo is, if any (each decided on its own)."""
    gate = open_gate(home)
    decision = gate.identify(deployment, photo(image), purpose, caller(actor), "largest" if largest else "all")
    d, faces = decision.details, decision.details["faces"]
    point = f"gallery {d['gallery_size']:,}, threshold {d['threshold']:.3f} for FPIR {d['target_fpir']:.2%}"
    if len(faces) == 1:
        show(decision, json_out, f"{face_line(faces[0])} ({point})")
        return
    lines = [f"{len(faces)} faces ({point})"]
    lines += [f"  {', '.join(map(str, face['box']))}: {face_line(face)}" for face in faces]
    show(decision, json_out, "\n".join(lines))


def face_line(face: dict[str, Any]) -> str:
    """One face's outcome: `identified: biden`, `no_match`, `candidates for review: a, b`, `face_too_small`."""
    text = str(face["outcome"]) + (f": {face['subject']}" if face["subject"] else "")
    return text + (f" for review: {', '.join(face['candidates'])}" if face.get("candidates") else "")


alternative_app = typer.Typer(
    rich_markup_mode=None,
    help="Non-biometric methods: PIN, TOTP, check-in code, staff (passkeys: in the portal or the API).",
    no_args_is_help=True,
)
app.add_typer(alternative_app, name="alternative")
Method = Annotated[str, typer.Argument(help="pin, totp, checkin_code or staff.", metavar="METHOD")]


@alternative_app.command("set")
def alternative_set(
    deployment: Deployment_,
    subject: Subject_,
    method: Method,
    pin: Annotated[str | None, typer.Option("--pin", help="The PIN or password (asked when omitted).")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Set up a non-biometric method; TOTP secrets and check-in codes are shown once, with a QR code."""
    if method == "pin" and pin is None:
        pin = typer.prompt("PIN", hide_input=True, confirmation_prompt=True)
    decision = open_gate(home).set_alternative(deployment, subject, method, pin, caller(actor))
    if json_out:
        print_json(decision.to_dict())
        return
    console.print(f"{method} set for {subject} in {deployment}", markup=False)
    for key in ("totp_uri", "code", "expires_at"):
        if key in decision.details:
            console.print(f"  {key}: {decision.details[key]}", markup=False, soft_wrap=True)


@alternative_app.command("verify")
def alternative_verify(
    deployment: Deployment_,
    subject: Subject_,
    method: Method,
    secret: Annotated[str | None, typer.Option("--secret", help="The PIN, TOTP or code (asked when omitted).")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Verify a subject without any face; exits 3 when the secret is wrong."""
    if method not in ("staff", "passkey") and secret is None:
        secret = typer.prompt(method, hide_input=True)
    decision = open_gate(home).verify_alternative(deployment, subject, method, secret, caller(actor))
    show(decision, json_out, f"{decision.outcome}: {subject} by {method}")
    if not decision.details["verified"]:
        raise typer.Exit(3)


@app.command()
def purge(json_out: Json = False, home: Home = None) -> None:
    """Delete templates and raw images past their retention (the server also runs this on a schedule)."""
    counts = open_gate(home).purge()
    if json_out:
        print_json(counts)
    else:
        resumed = counts["erasures_resumed"]
        console.print(
            f"purged {count(counts['templates'], 'template')} of {count(counts['subjects'], 'subject')}, "
            f"{count(counts['raw_images'], 'raw image')}"
            + (f"; finished {count(resumed, 'interrupted erasure')}" if resumed else "")
        )


@keys_app.command("rotate")
def keys_rotate(actor: Actor = "operator:cli", json_out: Json = False, home: Home = None) -> None:
    """Rotate the master key: deployment keys are rewrapped; templates are not re-encrypted."""
    decision = open_gate(home).rotate_master_key(caller(actor))
    show(decision, json_out, f"master key rotated; {count(decision.details['keys_rewrapped'], 'key')} rewrapped")
