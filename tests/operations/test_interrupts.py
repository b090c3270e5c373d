"""An interrupt (SIGTERM, Ctrl-C) that Python swallows, because Dagster's handler raised it
inside a garbage-collector callback, still stops the run: the CLI delivers it again."""

from __future__ import annotations

import subprocess
import sys

# Dagster raises interrupts as DagsterExecutionInterruptedError while a run executes; the signal
# arrives while a weak reference's callback runs, as SQLAlchemy's do in a run.
PROGRAM = """
import os, signal, threading, time, weakref
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._utils.interrupts import raise_interrupts_as
from pipelines.cli_guard import redeliver_swallowed_interrupts

if "--redeliver" in os.sys.argv:
    redeliver_swallowed_interrupts()

class Thing:
    pass

def busy(_):
    threading.Timer(0, os.kill, (os.getpid(), signal.SIGTERM)).start()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        pass

with raise_interrupts_as(DagsterExecutionInterruptedError):
    thing = Thing()
    reference = weakref.ref(thing, busy)
    try:
        del thing
        for _ in range(50):
            time.sleep(0.1)
        print("ran to its end")
    except DagsterExecutionInterruptedError:
        print("interrupted")
"""


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, timeout=120
    )


def test_an_interrupt_raised_in_a_weakref_callback_is_delivered_again():
    swallowed = run()
    assert "Exception ignored" in swallowed.stderr
    assert swallowed.stdout.strip() == "ran to its end", "without the hook the run goes on"
    redelivered = run("--redeliver")
    assert "Exception ignored" in redelivered.stderr
    assert redelivered.stdout.strip() == "interrupted"
