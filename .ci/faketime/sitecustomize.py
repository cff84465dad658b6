"""Loaded by every Python process of the faketime CI step (PYTHONPATH): sleep through select().

libfaketime 0.9.10 (Debian 12) cannot run Python's clocks both ways: with the monotonic clock
faked, timed lock waits (threading.Event.wait, Timer) wait for the whole offset; with it left
alone (FAKETIME_DONT_FAKE_MONOTONIC=1), its clock_nanosleep wrapper shifts Python's absolute
monotonic deadline by the offset and every time.sleep() fails with EINVAL. select() with a
relative timeout passes through untouched, so sleeping through it keeps the real monotonic clock
while the wall clock is a year ahead. Nothing here runs outside libfaketime.
"""

import os
import select
import time

if "faketime" in os.environ.get("LD_PRELOAD", ""):

    def _sleep(seconds: float) -> None:
        select.select([], [], [], max(0.0, seconds))

    time.sleep = _sleep
