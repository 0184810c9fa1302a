"""Synthetic enrollments in bulk, for tests and benchmarks only: subjects with random template vectors, each
sealed under its own data key exactly as the vault seals a real template (no photos, no engine).

One enrollment through the gate costs a face embedding and two key-store transactions; counting needs
hundreds of thousands of stored individuals, so this writes the same rows in a few large transactions.
"""

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from facegate.oversight.individuals import insert_ignoring_duplicates
from facegate.store import Database, table_of
from facegate.vault.keystore import WrappedKey, seal
from facegate.vault.models import SubjectRow, TemplateRow
from facegate.vault.vault import Vault, template_aad

MODEL_ID = "synthetic-128d"
CHUNK = 10_000


def enroll_synthetic(
    db: Database,
    vault: Vault,
    deployment_id: str,
    subject_ids: Sequence[str],
    now: datetime,
    dim: int = 128,
    seed: int = 0,
    retention_days: int = 365,
) -> int:
    """Store one random template per subject in the deployment (creating the subjects and their data keys).

    Writes what `Vault.save_template` writes (subject row, wrapped data key in the key store, sealed template)
    but in chunks of 10,000 per transaction. Nothing is recorded in oversight: the gate's hook is bypassed, as
    it would be for data stored before oversight existed, so `Oversight.refresh` must find these. Returns the
    number of templates written.
    """
    rng = np.random.default_rng(seed)
    keystore = vault.keystore
    deployment_key = keystore.deployment_key(deployment_id)
    expires = now + timedelta(days=retention_days)
    written = 0
    for start in range(0, len(subject_ids), CHUNK):
        chunk = list(subject_ids[start : start + CHUNK])
        names = {s: f"data/{deployment_id}/{s}" for s in chunk}
        with Session(keystore.engine) as ks, ks.begin():
            existing = set(ks.scalars(select(WrappedKey.name).where(WrappedKey.name.in_(list(names.values())))))
            fresh = {s: secrets.token_bytes(32) for s, n in names.items() if n not in existing}
            if fresh:
                ks.execute(
                    insert(table_of(WrappedKey)),
                    [
                        {
                            "name": names[s],
                            "parent": f"deployment/{deployment_id}",
                            "blob": seal(deployment_key, key, names[s].encode()),
                            "created_at": now,
                        }
                        for s, key in fresh.items()
                    ],
                )
        keys = {s: fresh.get(s) or keystore.data_key(deployment_id, s) for s in chunk}
        vectors = rng.standard_normal((len(chunk), dim)).astype("<f4")
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        with db.session() as session:
            insert_ignoring_duplicates(session, table_of(SubjectRow), [{"id": s, "created_at": now} for s in chunk])
            rows = []
            for s, vector in zip(chunk, vectors, strict=True):
                template_id = str(uuid.uuid4())
                aad = template_aad(deployment_id, s, MODEL_ID, template_id)
                rows.append(
                    {
                        "id": template_id,
                        "subject_id": s,
                        "deployment_id": deployment_id,
                        "model_id": MODEL_ID,
                        "sealed": seal(keys[s], vector.tobytes(), aad),
                        "created_at": now,
                        "expires_at": expires,
                    }
                )
            session.execute(insert(table_of(TemplateRow)), rows)
        written += len(chunk)
    return written
