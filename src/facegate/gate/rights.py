"""The subject's rights and the house's duties through the gate: access, export, retention purge, key rotation."""

from typing import Any

from sqlalchemy import func, select

from facegate.context import Context
from facegate.events import Op
from facegate.gate.alternatives import PASSKEY_CHALLENGES
from facegate.gate.decisions import Caller, Decision, Recorder
from facegate.gate.erasure import Erasure
from facegate.vault.models import ConsentRow, CredentialRow, RawImageRow, TemplateRow


class Rights:
    """What a subject may see and take, what retention deletes, and the master key's rotation."""

    def __init__(self, context: Context, recorder: Recorder, erasure: Erasure) -> None:
        self.context, self.recorder, self.erasure = context, recorder, erasure
        self.db, self.vault = context.db, context.vault

    def rotate_master_key(self, caller: Caller | None = None) -> Decision:
        """Rotate the master key (deployment keys rewrapped, no template re-encrypted) and record it."""
        caller = caller or Caller()
        count = self.vault.rotate_master_key()
        with self.db.session() as session:
            return self.recorder.record(session, caller, Op.KEYS_ROTATE, "rotated", details={"keys_rewrapped": count})

    # ---- data-subject rights and retention ----

    def access(self, subject_id: str) -> dict[str, Any]:
        """What is held on a subject, for which deployment, since when and until when (no biometric data)."""
        with self.db.session(readonly=True) as session:
            subject = self.vault.subject(session, subject_id)
            held: dict[str, dict[str, Any]] = {}
            for row in session.scalars(select(TemplateRow).filter_by(subject_id=subject_id)):
                entry = held.setdefault(
                    row.deployment_id, {"templates": 0, "since": row.created_at, "until": row.expires_at}
                )
                entry["templates"] += 1
                entry["since"], entry["until"] = (
                    min(entry["since"], row.created_at),
                    max(entry["until"], row.expires_at),
                )
            images: dict[str, int] = {}
            photo = RawImageRow
            kept = select(photo.deployment_id, func.count(), func.min(photo.created_at), func.max(photo.expires_at))
            for deployment_id, count, since, until in session.execute(
                kept.where(photo.subject_id == subject_id).group_by(photo.deployment_id)
            ):
                images[deployment_id] = count  # kept photos are facial data too, with or without a template
                entry = held.setdefault(deployment_id, {"templates": 0, "since": since, "until": until})
                entry["since"], entry["until"] = min(entry["since"], since), max(entry["until"], until)
            consents = [
                {
                    "deployment": c.deployment_id,
                    "kind": c.kind,
                    "form": c.form,
                    "given_by": c.given_by,
                    "notice_version": c.notice_version,
                    "given_at": c.given_at.isoformat(),
                    "withdrawn_at": c.withdrawn_at and c.withdrawn_at.isoformat(),
                    "stale_at": c.stale_at and c.stale_at.isoformat(),
                }
                for c in session.scalars(
                    select(ConsentRow).filter_by(subject_id=subject_id).order_by(ConsentRow.given_at)
                )
            ]
            methods = [
                {"deployment": c.deployment_id, "method": c.method, "since": c.created_at.isoformat()}
                for c in session.scalars(
                    select(CredentialRow).filter_by(subject_id=subject_id).order_by(CredentialRow.created_at)
                )
                if c.method not in PASSKEY_CHALLENGES.values()
            ]
        return {
            "subject": subject.id,
            "birth_date": subject.birth_date and subject.birth_date.isoformat(),
            "age_band": subject.age_band,
            "created_at": subject.created_at.isoformat(),
            "facial_data": [
                {
                    "deployment": d,
                    "templates": e["templates"],
                    "raw_images": images.get(d, 0),
                    "since": e["since"].isoformat(),
                    "until": e["until"].isoformat(),
                }
                for d, e in sorted(held.items())
            ],
            "consents": consents,
            "alternatives_set_up": methods,  # no secret: only which method, where, since when
        }

    def export(self, subject_id: str, caller: Caller | None = None) -> dict[str, Any]:
        """The subject's data for the subject; templates only when the subject asks (`subject:<id>`).

        The one way a template leaves facegate is to its own subject (a portal link); anyone else, operator
        or admin, gets the access record without vectors. Either way the export is audited.
        """
        caller = caller or Caller()
        record = self.access(subject_id)
        own = caller.actor == f"subject:{subject_id}"
        with self.db.session() as session:
            if own:
                deployments = {d["deployment"] for d in record["facial_data"]}
                record["templates"] = [
                    {"deployment": d, "id": t.id, "model": t.model_id, "vector": [round(float(x), 6) for x in t.vector]}
                    for d in sorted(deployments)
                    for t in self.vault.templates(session, d, subject_id)
                ]
            self.recorder.record(
                session, caller, Op.SUBJECT_EXPORT, "exported", subject=subject_id, details={"templates": own}
            )
        return record

    def purge(self, caller: Caller | None = None) -> dict[str, int]:
        """Finish the erasures a killed process left under way, then delete what has passed its retention:
        templates, kept photos and expired one-time codes (CN25-8c)."""
        caller = caller or Caller(actor="system:purge")
        resumed = self.erasure.resume()
        now = self.context.clock()
        with self.db.session(readonly=True) as session:
            expired = session.execute(
                select(TemplateRow.deployment_id, TemplateRow.subject_id)
                .where(TemplateRow.expires_at <= now)
                .distinct()
            ).all()
        removed = 0
        for deployment_id, subject_id in expired:
            with self.db.session() as session:
                if self.vault.has_templates(session, deployment_id, subject_id, after=now):
                    removed += self.vault.delete_templates(session, deployment_id, subject_id, expired_at=now)
                    self.erasure.forget(deployment_id, subject_id)
                    self.recorder.record(
                        session,
                        caller,
                        Op.PURGE,
                        "deleted",
                        deployment=deployment_id,
                        subject=subject_id,
                        rule_ids=("CN25-8c",),
                    )
                    continue
            # nothing of the subject is left in this deployment: the key goes too
            receipt = self.erasure.erase(deployment_id, subject_id, caller, Op.PURGE, ("CN25-8c", "PIPL-47"))
            removed += receipt.details["templates_deleted"]
        with self.db.session() as session:
            images, codes = self.vault.delete_expired(session, now)
            if images:
                self.recorder.record(session, caller, Op.PURGE, "raw_images_deleted", rule_ids=("CN25-8c",))
        counts = {"templates": removed, "raw_images": images, "checkin_codes": codes, "subjects": len(expired)}
        return counts | {"erasures_resumed": resumed}
