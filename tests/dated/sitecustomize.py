"""`make test-dates`: every Python process of the run lives on FACEGATE_TEST_DATE, its clock ticking from there.

Python imports `sitecustomize` at start-up from PYTHONPATH, so pytest, its xdist workers and every facegate process
the tests start travel together (time-machine moves `datetime.now`, `date.today` and `time.time`).
"""

import os
from datetime import datetime

if os.environ.get("FACEGATE_TEST_DATE"):
    import time_machine

    time_machine.travel(datetime.fromisoformat(os.environ["FACEGATE_TEST_DATE"]), tick=True).start()
