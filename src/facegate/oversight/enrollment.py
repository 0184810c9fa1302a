"""The two things the gate asks oversight at enrollment: record a stored individual, and may it enroll at all.

Both run inside the enrollment's own transaction, so the count moves exactly when a template is stored.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from facegate import policy
from facegate.errors import RefusedError
from facegate.oversight.individuals import add_individual, handler_name, hash_secret, nth_first_stored, subject_key
from facegate.oversight.models import HandlerRow
from facegate.oversight.tasks import calendar_for, initial_filing_needed, open_filing, overdue_refusal, overdue_tasks
from facegate.oversight.thresholds import filing_duty, filing_profiles
from facegate.oversight.workdays import beijing_date
from facegate.store import table_of
from facegate.vault.keystore import Keystore


def record_stored(
    session: Session,
    keystore: Keystore,
    handler: str,
    subject_id: str,
    now: datetime,
    profiles: Sequence[str] = (policy.DEFAULT_PROFILE,),
    settings: policy.Settings | None = None,
) -> bool:
    """Record that `handler` now stores `subject_id`'s facial information; True for an individual new to it.

    When the new individual makes the handler reach a profile's threshold (cumulative count, §8 Q1), the day
    is latched and the filing task opened here; `Oversight.refresh` does the rest (other count modes, the
    handler's other deployments' profiles, change filings, cancellations).
    """
    settings = settings or policy.Settings()
    name = handler_name(handler)
    if not add_individual(session, name, subject_key(hash_secret(keystore), subject_id), now):
        return False
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = table_of(HandlerRow)
    session.execute(
        dialect.insert(table)
        .values(handler=name, individuals=1, latched="")
        .on_conflict_do_update(index_elements=[table.c.handler], set_={"individuals": table.c.individuals + 1})
    )
    count, latched = session.execute(select(table.c.individuals, table.c.latched).filter_by(handler=name)).one()
    if settings.get("filing.count_mode") != "cumulative":
        return True
    done = set(filter(None, latched.split(",")))
    for profile in filing_profiles(list(profiles)):
        duty = filing_duty(profile)
        if duty is None or profile in done or not duty.reached(count):
            continue
        if initial_filing_needed(session, name, profile):
            reached = nth_first_stored(session, name, duty.first_count) or now
            details = {"count_mode": "cumulative", "count": count, "first_count": duty.first_count}
            open_filing(session, name, duty, reached, "threshold_reached", details, calendar_for(settings), now)
        done.add(profile)
        session.execute(table.update().filter_by(handler=name).values(latched=",".join(sorted(done))))
    return True


def enrollment_block(
    session: Session, handler: str, now: datetime, settings: policy.Settings | None = None
) -> RefusedError | None:
    """The refusal of a new enrollment while one of the handler's filings is overdue (§8 Q7), else None."""
    settings = settings or policy.Settings()
    if settings.get("filing.on_overdue") != "block_new_enrollment":
        return None
    late = overdue_tasks(session, handler_name(handler), beijing_date(now))
    if not late:
        return None
    return overdue_refusal(late[0], filing_duty(late[0].profile))
