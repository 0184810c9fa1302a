"""The status report: each handler's count against every profile's threshold, due dates, tasks, filings and
warnings, as one JSON-ready mapping (the CLI prints it; the console's Oversight page renders it)."""

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facegate.oversight.calendar_data import SCHEDULES
from facegate.oversight.handlers import HandlerView
from facegate.oversight.tasks import all_tasks, filing_dict, filings, overdue_tasks, task_dict
from facegate.oversight.thresholds import filing_duty, filing_profiles
from facegate.oversight.workdays import beijing_date
from facegate.policy import public_place
from facegate.policy.accuracy import OperatingPoints
from facegate.policy.profiles import lineage, profile_names
from facegate.vault.models import TemplateRow
from facegate.wording import count as count_of

if TYPE_CHECKING:
    from facegate.oversight.oversight import Oversight

DUE_SOON_WORKING_DAYS = 5
EVERY_FILING_PROFILE = filing_profiles(profile_names())


def status_report(
    oversight: "Oversight", session: Session, views: list[HandlerView], accuracy: OperatingPoints | None = None
) -> dict[str, Any]:
    """The report of these handlers as of the oversight's clock (Beijing date); `accuracy`, the face model's
    operating points, gives each 1:N gallery its limit (ACC-1)."""
    now = oversight.clock()
    today = beijing_date(now)
    calendar = oversight.calendar
    return {
        "generated_at": now.isoformat(),
        "today": today.isoformat(),
        "count_mode": oversight.count_mode,
        "count_mode_question": "Q1",
        "on_overdue": oversight.settings.get("filing.on_overdue"),
        "calendar": {
            "working_days": "calendar_days" if calendar.calendar_days else "prc_state_council",
            "years_with_schedule": sorted(calendar.schedules),
            "sources": {str(y): s.source for y, s in sorted(SCHEDULES.items())},
            "fallback": "a year without a State Council schedule is counted in calendar days (§8 Q2)",
        },
        "handlers": [_handler(oversight, session, view, today, accuracy) for view in views],
    }


def galleries(session: Session, view: HandlerView, accuracy: OperatingPoints | None) -> list[dict[str, Any]]:
    """Each 1:N deployment's gallery: subjects held (the limit counts them) and their templates, against the size
    at which its targets still hold."""
    out = []
    for d in view.deployments:
        if d.spec.modality != "identification":
            continue
        wanted = d.spec.accuracy
        here = TemplateRow.deployment_id == d.id
        held = session.scalar(select(func.count()).where(here)) or 0
        subjects = session.scalar(select(func.count(func.distinct(TemplateRow.subject_id))).where(here)) or 0
        limit = accuracy.max_gallery(wanted.target_fpir, wanted.fnir_tolerance) if accuracy else None
        out.append({
            "deployment": d.id, "subjects": int(subjects), "templates": int(held), "limit": limit,
            "target_fpir": wanted.target_fpir,
            "fnir_tolerance": wanted.fnir_tolerance, "expected_gallery_size": wanted.expected_gallery_size,
        })  # fmt: skip
    return out


def _handler(
    oversight: "Oversight", session: Session, view: HandlerView, today: date, accuracy: OperatingPoints | None
) -> dict[str, Any]:
    calendar = oversight.calendar
    counts = oversight.counts(session, view)
    count = counts[oversight.count_mode]
    tasks = all_tasks(session, view.name)
    receipts = {f.id: f for f in filings(session, view.name)}
    shown = [task_dict(t, today, calendar, receipts) for t in tasks]
    applies = set(view.profiles)
    thresholds = []
    warnings: list[dict[str, Any]] = []
    for profile in EVERY_FILING_PROFILE:
        duty = filing_duty(profile)
        assert duty is not None
        latched = next((t for t in tasks if t.profile == profile and t.kind == "filing"), None)
        public = [d.id for d in view.deployments if duty.public_place_trigger
                  and profile in {p for name in d.profiles for p in lineage(name)}
                  and public_place(d.spec)]  # fmt: skip
        levels = [{"level": level, "reached": count >= level} for level in duty.early_warnings]
        thresholds.append(
            {
                **duty.to_dict(),
                "applies": profile in applies,
                "count": count,
                "reached": duty.reached(count) or bool(public),
                "reached_on": latched.trigger_on.isoformat() if latched else None,
                "remaining": max(duty.first_count - count, 0),
                "share": round(count / duty.first_count, 4),
                "early_warning_levels": levels,
                "public_place_deployments": public,
            }
        )
        if profile in applies and not duty.reached(count):
            passed = [lv["level"] for lv in levels if lv["reached"]]
            if passed:
                warnings.append(_warning(
                    "WARN", list(duty.rule_ids[:1]),
                    f"{count:,} stored individuals passed the early-warning level {max(passed):,} of {profile}'s "
                    f"threshold ({duty.condition}); prepare the filing package",
                ))  # fmt: skip
    for task in shown:
        if task["state"] == "overdue":
            blocks = task["kind"] in ("filing", "change") and oversight.settings.get("filing.on_overdue") == (
                "block_new_enrollment"
            )
            effect = "new enrollments are refused; verification continues" if blocks else "no enrollment is refused"
            warnings.append(_warning(
                "WARN", ["CN25-15c", *task["rule_ids"]],
                f"the {task['kind']} ({task['profile']}) was due on {task['due_on']} and is overdue: {effect} (§8 Q7)",
            ))  # fmt: skip
        elif task["state"] == "open" and (task["working_days_left"] or 0) <= DUE_SOON_WORKING_DAYS:
            warnings.append(_warning(
                "WARN", task["rule_ids"],
                f"the {task['kind']} ({task['profile']}) is due on {task['due_on']}, "
                f"{count_of(task['working_days_left'], 'working day')} from today",
            ))  # fmt: skip
        if task["state"] != "closed" and "calendar days" in task["due_basis"]:
            warnings.append(_warning("INFO", ["CN25-15c"], f"due date {task['due_on']}: {task['due_basis']}"))
    for d in view.in_use:
        for r in d.spec.recipients:
            warnings.append(_warning(
                "WARN", ["CN25-15a/b"],
                f"{d.id}: recipient {r.name or '(unnamed)'} processes facial information; if it is an entrusted "
                "processor, check whether it must file too (§8 Q9)",
            ))  # fmt: skip
    deployment_ids = [d.id for d in view.deployments]
    for severity, rules, message in oversight.devices.warnings(session, deployment_ids, oversight.clock()):
        warnings.append(_warning(severity, rules, message))
    late = overdue_tasks(session, view.name, today)
    blocked = bool(late) and oversight.settings.get("filing.on_overdue") == "block_new_enrollment"
    return {
        "handler": view.name,
        "contact": view.contact,
        "region": view.region,
        "deployments": [
            {
                "id": d.id,
                "name": d.spec.name,
                "status": d.status,
                "profiles": list(d.profiles),
                "purpose": d.spec.purpose.category,
                "setting": d.spec.location.setting,
            }
            for d in view.deployments
        ],
        "galleries": galleries(session, view, accuracy),
        "profiles": list(view.profiles),
        "stored_individuals": count,
        "counts": counts,
        "thresholds": thresholds,
        "open_tasks": [t for t in shown if t["state"] != "closed"],
        "closed_tasks": [t for t in shown if t["state"] == "closed"],
        "filings": [filing_dict(f) for f in receipts.values()],
        "enrollment": {
            "blocked": blocked,
            "rule_ids": ["FG-5", "CN25-15c", *late[0].rule_ids.split(",")] if blocked else [],
            "reason": f"the {late[0].kind} due on {late[0].due_on} is overdue" if blocked else None,
        },
        "warnings": warnings,
    }


def _warning(severity: str, rule_ids: list[str], message: str) -> dict[str, Any]:
    return {"severity": severity, "rule_ids": list(dict.fromkeys(rule_ids)), "message": message}
