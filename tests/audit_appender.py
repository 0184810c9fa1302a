"""Child process of the group-commit SIGKILL test: threads append through group commit and print each acknowledged
event ID once `append` has returned (its commit done), until they are killed."""

import sys
import threading
from pathlib import Path

from facegate.audit import AuditLog, Event
from facegate.audit.group import GroupCommit
from facegate.clock import utc_now
from facegate.events import Op
from facegate.store import Database

THREADS = 8


def main(url: str, home: str) -> None:
    """Append from THREADS threads forever, printing `ack <event_id>` after each append returns."""
    db = Database.open(url)
    group = GroupCommit(db, AuditLog.for_home(Path(home)), utc_now)
    out = threading.Lock()

    def appender(worker: int) -> None:
        for i in range(10**9):
            event_id = f"t{worker}-{i}"
            group.append(Event(actor="system:bench", operation=Op.VERIFY, decision="refuse", outcome="refused",
                               rule_ids=["CN25-6e"], event_id=event_id))  # fmt: skip
            with out:
                sys.stdout.write(f"ack {event_id}\n")
                sys.stdout.flush()

    threads = [threading.Thread(target=appender, args=(w,)) for w in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
