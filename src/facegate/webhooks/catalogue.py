"""The events a webhook can subscribe to, and the audit operations that raise them.

To publish a new kind of event, add its name and a sentence here, then call `facegate.webhooks.publish` where it
happens (see that function). Names are `area.what_happened`.
"""

import re

EVENTS: dict[str, str] = {
    "subject.withdrawn": "A subject withdrew consent in a deployment; its facial data there was deleted.",
    "subject.deleted": "A subject was deleted everywhere (data keys shredded, rows removed).",
    "incident.recorded": "A security incident was recorded for a deployment.",
    "filing.due": "A filing with the authority (initial, change or cancellation) was opened with its due date.",
    "device.flagged": "A hub refused a device's audit log (it did not extend what the hub holds).",
    "door.decision": "A door camera decided to open or not (published by the door-camera part).",
    "ping": "A test message an admin sends to check a receiver (POST /api/v1/webhooks/{id}/ping).",
}

# Allowed audit entries of these operations become these events (their fields, never more; see outbox.collect).
FROM_AUDIT: dict[str, str] = {
    "consent.withdraw": "subject.withdrawn",
    "subject.delete": "subject.deleted",
    "incident.record": "incident.recorded",
    "device.flagged": "device.flagged",
}

NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
