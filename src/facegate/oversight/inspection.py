"""The inspection export (CN25-16–18, CN25-9c): one zip an inspector can check offline, for a date range.

Inside: the audit log's entries with signed checkpoints and proofs (and the standalone verifier), the impact
assessments, consent and notice records, the deployments with their findings, the counts and filing records,
a manifest with the SHA-256 of every file, and README.txt saying how to verify it. Nothing biometric: no
image, template or vector is read to build it; subjects appear only under their pseudonymous IDs.
"""

import hashlib
import io
import json
import os
import zipfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select

from facegate import policy
from facegate.audit import Event
from facegate.audit import standalone_verify as verifier
from facegate.audit.event import format_time
from facegate.events import Op
from facegate.oversight.handlers import handlers
from facegate.oversight.models import FilingRow, TaskRow
from facegate.oversight.report import status_report
from facegate.oversight.tasks import filing_dict
from facegate.oversight.workdays import beijing_date
from facegate.vault.models import ConsentRow, NoticeShownRow

if TYPE_CHECKING:
    from facegate.oversight.oversight import Oversight

FORMAT = "facegate-inspection-export/1"
RULE_IDS = ["CN25-16–18", "CN25-9c", "CN25-15c"]
AUDIT_FILE = "audit/audit-log.jsonl"
KEY_FILE = "audit/audit-ed25519.pub.pem"

README = """facegate inspection export
==========================

Handler(s): {handlers}
Period: {since} to {until} (UTC; the audit entries recorded in [since, until))
Generated: {generated} by {actor}
Rules: CN25-16–18 (supervision and inspection), CN25-9c (impact assessments and processing records kept at
least 3 years), CN25-15 (filing).

What is inside
--------------
  manifest.json                 every file with its SHA-256 and size; the counts and the period
  SHA256SUMS                    the same hashes, for `sha256sum -c SHA256SUMS`
  audit/audit-log.jsonl         the processing records: every decision of the period (who, what, when, which
                                purpose, which rule IDs), the signed checkpoints around them, consistency proofs
                                between the checkpoints and an inclusion proof per entry (RFC 9162)
  audit/standalone_verify.py    the verifier: one file, Python 3.11+ and the `cryptography` package
  audit/audit-ed25519.pub.pem   the log's public key AS SENT BY THE OPERATOR; see step 2
  audit/verifier-key.txt        the same key as a signed-note verifier key (origin+hash+base64)
  audit/verify-report.json      the operator's own full verification of the log at export time
  impact-assessments/           one impact assessment report per deployment (Markdown and HTML), as approved
                                and registered now (regulation.md §5.4); filed/ holds earlier versions as
                                they were filed, where they differ from the current one
  consents/consents.jsonl       consent records valid at any time in the period: kind, form, giver, notice
                                version, given / withdrawn / stale times, the signed artefact's reference
  consents/notices-shown.jsonl  the notices shown in the period (CN25-5b)
  deployments/deployments.json  every deployment: spec, status, profiles, and its findings with rule IDs
  filing/status.json            stored-individual counts per handler against each threshold, due dates, tasks
  filing/filings.json           filing receipts (with what was filed) and every filing task
  devices/devices.json          a hub's paired recognition devices: status, deployments, verified log size, flags
  devices/<id>/audit-log.jsonl  each device's audit log of the period as the hub verified it, in the same format
                                (check it with standalone_verify.py and devices/<id>/audit-ed25519.pub.pem, the
                                key the device registered when it was paired)

No image, face template or vector is in this export. Subjects appear only under pseudonymous IDs.

How to verify
-------------
1. Integrity of the files: in the unpacked folder run
       sha256sum -c SHA256SUMS
   Every line must say OK. (manifest.json lists the same hashes.)

2. The audit log: get the log's public key from the operator through a channel you trust (not from this
   archive). Its SHA-256 fingerprint over the PEM text should equal {key_sha256}, the
   fingerprint of the copy in audit/audit-ed25519.pub.pem. Then run
       python3 audit/standalone_verify.py audit/audit-log.jsonl --public-key KEY.pem
   Exit code 0 means: every checkpoint is signed by that key, each checkpoint extends the previous one, and
   every entry is included, unaltered, in the signed tree. Any other exit code names the first failure.

3. Cross-checks: every consent in consents/ should have its `consent.give` entry in the log; every
   enrollment entry names a deployment in deployments/ whose impact assessment is in impact-assessments/;
   the filing tasks in filing/ cite the rule IDs of regulation.md and their due dates count PRC working days.
"""


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, default=str, sort_keys=True) + "\n" for r in rows).encode()


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n").encode()


def _filed_assessments(
    receipts: list[FilingRow], files: dict[str, bytes], settings: policy.Settings
) -> dict[str, bytes]:
    """The impact assessments as filed, where no longer the current one (CN25-9c: kept at least 3 years)."""
    found: dict[str, bytes] = {}
    for filing in receipts:
        for dep_id, data in json.loads(filing.snapshot).get("deployments", {}).items():
            spec = policy.spec_from_data(data)
            version = spec.impact_assessment.version if spec.impact_assessment else 0
            stem = f"impact-assessments/filed/{dep_id}-v{version}"
            current = files.get(f"impact-assessments/{dep_id}.md")
            pia = policy.pia_document(spec, today=filing.filed_on, settings=settings)
            text = pia.render("md").encode()
            if f"{stem}.md" in found or (current is not None and _body(current) == _body(text)):
                continue
            found[f"{stem}.md"], found[f"{stem}.html"] = text, pia.render("html").encode()
    return found


def _body(markdown: bytes) -> bytes:
    # Two renderings of one assessment differ only in the line that dates the report.
    return b"\n".join(line for line in markdown.splitlines() if b"Report generated" not in line)


def write_export(oversight: "Oversight", since: datetime, until: datetime, out: Path, actor: str) -> dict[str, Any]:
    """Build the export for [since, until) and write it to `out` atomically; return the manifest."""
    audit, db = oversight.audit, oversight.db
    now = oversight.clock()
    oversight.context.writer.append_alone(
        Event(actor=actor, operation=Op.OVERSIGHT_EXPORT, decision="allow", outcome="exported", rule_ids=RULE_IDS)
    )
    with db.session() as session:
        checkpoint = audit.checkpoint(session)
    audit.save_witness(checkpoint)
    files: dict[str, bytes] = {}
    with db.session(readonly=True) as session:
        lines = list(audit.export(session, since, until))
        files[AUDIT_FILE] = _jsonl(lines)
        files["audit/verify-report.json"] = _json(audit.verify(session).to_json())
        views = handlers(session)
        today = beijing_date(now)
        deployments = []
        for view in views.values():
            for d in view.deployments:
                if d.registered_at >= until:
                    continue
                report = policy.evaluate(d.spec, d.profiles, today=today, settings=oversight.settings)
                deployments.append(
                    {
                        "id": d.id,
                        "handler": view.name,
                        "status": d.status,
                        "profiles": list(d.profiles),
                        "registered_at": d.registered_at.isoformat(),
                        "updated_at": d.updated_at.isoformat(),
                        "device_certification_ref": d.spec.device_certification_ref,
                        "verdict": report.verdict,
                        "findings": [f.to_dict() for f in report.findings],
                        "spec": d.spec.model_dump(mode="json"),
                    }
                )
                pia = policy.pia_document(
                    d.spec, today=today, profiles=d.profiles, settings=oversight.settings,
                    verification=oversight.verification,
                )
                for fmt in ("md", "html"):
                    files[f"impact-assessments/{d.id}.{fmt}"] = pia.render(fmt).encode()
        files["deployments/deployments.json"] = _json(deployments)
        consents = session.scalars(
            select(ConsentRow)
            .where(
                ConsentRow.given_at < until, or_(ConsentRow.withdrawn_at.is_(None), ConsentRow.withdrawn_at >= since)
            )
            .order_by(ConsentRow.given_at)
        )
        files["consents/consents.jsonl"] = _jsonl(
            [
                {
                    "id": c.id,
                    "subject": c.subject_id,
                    "deployment": c.deployment_id,
                    "kind": c.kind,
                    "form": c.form,
                    "given_by": c.given_by,
                    "guardian_identified": c.guardian_ref is not None,
                    "evidence_ref": c.evidence_ref,
                    "notice_version": c.notice_version,
                    "given_at": format_time(c.given_at),
                    "withdrawn_at": c.withdrawn_at and format_time(c.withdrawn_at),
                    "stale_at": c.stale_at and format_time(c.stale_at),
                }
                for c in consents
            ]
        )
        shown = session.scalars(
            select(NoticeShownRow)
            .where(and_(NoticeShownRow.shown_at >= since, NoticeShownRow.shown_at < until))
            .order_by(NoticeShownRow.shown_at)
        )
        files["consents/notices-shown.jsonl"] = _jsonl(
            [
                {
                    "subject": n.subject_id,
                    "deployment": n.deployment_id,
                    "notice_version": n.notice_version,
                    "shown_at": format_time(n.shown_at),
                }
                for n in shown
            ]
        )
        files.update(oversight.devices.files(session, since, until))
        status = status_report(oversight, session, list(views.values()))
        files["filing/status.json"] = _json(status)
        receipts = list(
            session.scalars(select(FilingRow).where(FilingRow.recorded_at < until).order_by(FilingRow.recorded_at))
        )
        files.update(_filed_assessments(receipts, files, oversight.settings))
        tasks = session.scalars(select(TaskRow).where(TaskRow.opened_at < until).order_by(TaskRow.opened_at))
        files["filing/filings.json"] = _json(
            {
                "filings": [
                    {**filing_dict(f), "handler": f.handler, "filed": json.loads(f.snapshot)} for f in receipts
                ],
                "tasks": [
                    {
                        "id": t.id,
                        "handler": t.handler,
                        "profile": t.profile,
                        "kind": t.kind,
                        "trigger": t.trigger,
                        "rule_ids": t.rule_ids.split(","),
                        "trigger_on": t.trigger_on.isoformat(),
                        "due_on": t.due_on.isoformat(),
                        "due_basis": t.due_basis,
                        "opened_at": t.opened_at.isoformat(),
                        "closed_at": t.closed_at and t.closed_at.isoformat(),
                        "closed_by": t.closed_by,
                        "details": json.loads(t.details),
                    }
                    for t in tasks
                ],
            }
        )
    pem = audit.key.public.pem().encode()
    files[KEY_FILE] = pem
    files["audit/verifier-key.txt"] = (audit.key.public.vkey(checkpoint.origin) + "\n").encode()
    files["audit/standalone_verify.py"] = Path(verifier.__file__).read_bytes()
    files["README.txt"] = README.format(
        handlers="; ".join(views) or "none registered",
        since=format_time(since),
        until=format_time(until),
        generated=now.isoformat(),
        actor=actor,
        key_sha256=hashlib.sha256(pem).hexdigest(),
    ).encode()
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
    manifest = {
        "format": FORMAT,
        "generated_at": now.isoformat(),
        "since": format_time(since),
        "until": format_time(until),
        "rule_ids": RULE_IDS,
        "handlers": list(views),
        "audit_entries": sum(1 for line in lines if line.get("type") == "entry"),
        "deployments": len(deployments),
        "public_key_sha256": hashlib.sha256(pem).hexdigest(),
        "files": {name: {"sha256": digests[name], "bytes": len(files[name])} for name in digests},
    }
    files["SHA256SUMS"] = "".join(f"{h}  {name}\n" for name, h in digests.items()).encode()
    files["manifest.json"] = _json(manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=now.timetuple()[:6]), files[name], zipfile.ZIP_DEFLATED)
    out.parent.mkdir(parents=True, exist_ok=True)
    draft = out.with_name(f".{out.name}.{os.getpid()}")
    draft.write_bytes(buffer.getvalue())
    os.replace(draft, out)
    return manifest
