"""`facegate import`: bulk onboarding from a folder of `<subject>/<photo>` and a CSV of consent records.

Everything is read and checked before anything is recorded (bad input exits 2 and changes nothing). Each subject
is then onboarded by the gate in one transaction (added, notice shown, separate consent, photos enrolled), so a
killed import leaves every subject fully imported or not at all, and a re-run skips the ones already enrolled.
"""

import csv
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from facegate.cli.app import Actor, Deployment_, Home, Json, app, caller, console, open_gate, print_json, say
from facegate.cli.progress import progress
from facegate.errors import InputError, RefusedError

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
REQUIRED = ("subject", "given_at", "notice_version", "channel")
OPTIONAL = ("form", "given_by", "guardian_ref")
NO_CONSENT_RULES = ["CN25-6a/b"]  # a subject without a consent record is not enrolled


@dataclass(frozen=True)
class ConsentRecord:
    """One row of the consents CSV: who consented, when, to which notice version, through which channel."""

    subject: str
    given_at: str
    notice_version: int
    channel: str
    form: str = "separate"
    given_by: str = "subject"
    guardian_ref: str | None = None


@dataclass
class Outcome:
    """What became of one subject: imported, already_enrolled, refused (rules) or invalid (its photos)."""

    subject: str
    outcome: str
    code: str = ""
    rule_ids: list[str] = field(default_factory=list)
    detail: str = ""


def read_consents(path: Path) -> dict[str, ConsentRecord]:
    """The consents CSV by subject; InputError (exit 2) naming the line for anything malformed."""
    if not path.is_file():
        raise InputError(f"consents file {path} not found")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in reader.fieldnames or []]
            unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
            if unknown:
                raise InputError(f"{path}: unknown column(s) {', '.join(unknown)}; the columns are "
                                 f"{', '.join(REQUIRED)} and optionally {', '.join(OPTIONAL)}")  # fmt: skip
            missing = [c for c in REQUIRED if c not in columns]
            if missing:
                raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
            records: dict[str, ConsentRecord] = {}
            for row in reader:
                record = consent_row(path, reader.line_num, {k.strip(): v for k, v in row.items() if k})
                if record.subject in records:
                    raise InputError(f"{path}:{reader.line_num}: a second row for subject {record.subject}")
                records[record.subject] = record
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: not a UTF-8 CSV file ({exc.__class__.__name__})") from None
    return records


def consent_row(path: Path, line: int, row: dict[str, str | None]) -> ConsentRecord:
    """One CSV row checked: every required value present, the date ISO 8601, the notice version a number."""
    if None in row.values():
        raise InputError(f"{path}:{line}: fewer values than columns")
    values = {k: (v or "").strip() for k, v in row.items()}
    empty = [c for c in REQUIRED if not values[c]]
    if empty:
        raise InputError(f"{path}:{line}: no {', '.join(empty)}")
    given = values["given_at"]
    try:
        (datetime if "T" in given or " " in given else date).fromisoformat(given)
    except ValueError:
        raise InputError(f"{path}:{line}: given_at {values['given_at']!r} is not an ISO 8601 date or time") from None
    if not values["notice_version"].isdigit() or not 1 <= int(values["notice_version"]) <= 1_000_000:
        raise InputError(f"{path}:{line}: notice_version {values['notice_version']!r} is not a version number")
    form, given_by = values.get("form") or "separate", values.get("given_by") or "subject"
    if form not in ("separate", "written") or given_by not in ("subject", "guardian"):
        raise InputError(f"{path}:{line}: form is separate or written, given_by subject or guardian")
    if len(values["channel"]) > 100 or len(values.get("guardian_ref", "")) > 200:
        raise InputError(f"{path}:{line}: channel (at most 100 characters) or guardian_ref (200) too long")
    return ConsentRecord(values["subject"], given, int(values["notice_version"]), values["channel"], form, given_by,
                         values.get("guardian_ref") or None)  # fmt: skip


def read_folder(folder: Path) -> dict[str, list[Path]]:
    """Each subject's photos (`<subject>/<photo>`, 1 to 3); InputError (exit 2) for any other layout."""
    from facegate.gate import MAX_PHOTOS

    if not folder.is_dir():
        raise InputError(f"photo folder {folder} not found")
    subjects: dict[str, list[Path]] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            raise InputError(f"{entry}: the folder holds one folder per subject (<subject>/<photo>), not files")
        photos = sorted(p for p in entry.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
        if not 1 <= len(photos) <= MAX_PHOTOS:
            raise InputError(f"{entry}: {len(photos)} photos; a subject has 1 to {MAX_PHOTOS} (.jpg, .png, .webp)")
        subjects[entry.name] = photos
    if not subjects:
        raise InputError(f"no subject folders in {folder}")
    return subjects


def write_report(path: Path, outcomes: list[Outcome]) -> None:
    """The subjects not imported, with their problem codes and rule IDs: JSON for a .json path, else CSV."""
    rows = [o for o in outcomes if o.outcome in ("refused", "invalid")]
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps([vars(o) for o in rows], indent=2, ensure_ascii=False) + "\n")
        return
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["subject", "outcome", "code", "rule_ids", "detail"])
        writer.writerows([o.subject, o.outcome, o.code, " ".join(o.rule_ids), o.detail] for o in rows)


@app.command("import")
def import_subjects(
    deployment: Deployment_,
    folder: Annotated[Path, typer.Argument(help="A folder of <subject>/ folders, each with 1 to 3 photos.")],
    consents: Annotated[
        Path,
        typer.Option("--consents", help="CSV of consents: subject, given_at, notice_version, channel [, form, ...]."),
    ],
    report: Annotated[
        Path, typer.Option("--report", help="Where to write the subjects not imported (.csv, or .json).")
    ] = Path("import-report.csv"),
    purpose: Annotated[str | None, typer.Option("--purpose", help="The purpose of this request.")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Onboard many subjects: each one's notice and separate consent from the CSV, then their photos, all in one
    transaction per subject. Exit 0 all imported (or already), 3 when the rules refused some, 2 for bad input."""
    from facegate.gate import Onboarding, read_photo

    records, photos = read_consents(consents), read_folder(folder)
    gate = open_gate(home)
    who = caller(actor)
    enrolled = already_enrolled(gate, deployment)
    outcomes: list[Outcome] = []
    with progress("importing", quiet=json_out) as report_progress:
        for done, (subject, paths) in enumerate(photos.items(), start=1):
            record = records.get(subject)
            if subject in enrolled:
                outcomes.append(Outcome(subject, "already_enrolled"))
            elif record is None:
                detail = "no consent record for this subject in the CSV: nothing recorded, nothing enrolled"
                outcomes.append(Outcome(subject, "refused", "consent_missing", NO_CONSENT_RULES, detail))
            else:
                consent = Onboarding(record.notice_version, f"{record.channel} {record.given_at}", record.form,
                                     record.given_by, record.guardian_ref)  # fmt: skip
                try:
                    data = [read_photo(p) for p in paths]
                    gate.onboard(deployment, subject, data, consent, purpose, who)
                    outcomes.append(Outcome(subject, "imported"))
                except RefusedError as exc:
                    outcomes.append(Outcome(subject, "refused", exc.code, list(exc.rule_ids), str(exc)))
                except InputError as exc:
                    outcomes.append(Outcome(subject, "invalid", exc.code, [], str(exc)))
            report_progress(done, len(photos))
    write_report(report, outcomes)
    show_outcomes(outcomes, sorted(set(records) - set(photos)), report, json_out)
    if any(o.outcome == "refused" for o in outcomes):
        raise typer.Exit(3)
    if any(o.outcome == "invalid" for o in outcomes):
        raise typer.Exit(2)


def already_enrolled(gate: Any, deployment: str) -> set[str]:
    """The subjects holding a template in the deployment (an unknown deployment is refused here, exit 2)."""
    found: set[str] = set()
    after = None
    while page := gate.enrollments(deployment, 500, after):
        found |= {row["subject"] for row in page if row["templates"]}
        after = page[-1]["subject"]
    return found


def show_outcomes(outcomes: list[Outcome], unused: list[str], report: Path, json_out: bool) -> None:
    """The summary table (or JSON), the refusals with their codes, and where the report went."""
    counts = {kind: sum(o.outcome == kind for o in outcomes) for kind in
              ("imported", "already_enrolled", "refused", "invalid")}  # fmt: skip
    if json_out:
        print_json({"summary": counts, "subjects": [vars(o) for o in outcomes], "consents_without_photos": unused,
                    "report": str(report)})  # fmt: skip
        return
    table = Table()
    table.add_column("outcome")
    table.add_column("subjects", justify="right")
    for kind, n in counts.items():
        table.add_row(kind.replace("_", " "), str(n))
    console.print(table)
    for o in outcomes:
        if o.outcome in ("refused", "invalid"):
            rules = f" [{', '.join(o.rule_ids)}]" if o.rule_ids else ""
            say(f"{o.subject}: {o.outcome} ({o.code}){rules}: {o.detail}")
    if unused:
        say(f"consent rows without a photo folder (not imported): {', '.join(unused)}")
    say(f"report: {report} ({counts['refused'] + counts['invalid']} not imported)")
