"""How far a scrub pass has got: rows done of the drop's, the rate and the time left (counts only).

The time left is reckoned in work, not rows: a row counts one plus the characters of its free
text. A drop's tables differ widely in text per row (a turn against a stage-2 judgment),
so a rate in rows measured on the first tables would misjudge the rest.

A line goes to the pass's `say` (the Dagster step's log) at most every `every_s` seconds and when
the pass ends; the same line goes to the logger `pipelines.progress` as a record with the numbers
attached (`record.progress`), which `pipelines run` draws as one updating line on a terminal.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

logger = logging.getLogger("pipelines.progress")
logger.setLevel(logging.INFO)
# Only a handler that asks for these lines gets them (the CLI's, on a terminal); the root logger's
# handlers would print each of them.
logger.propagate = False

EVERY_S = 15.0


@dataclass(frozen=True)
class Step:
    """One report: what the pass is, rows done and in all, and rows per second so far."""

    name: str
    done: int
    total: int
    rows_per_s: float
    finished: bool
    seconds_left: float | None = None

    def line(self) -> str:
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        left = ""
        if not self.finished and self.seconds_left is not None:
            left = f", about {_duration(self.seconds_left)} left"
        return (
            f"{self.name}: {self.done:,} of {self.total:,} rows{share}, "
            f"{self.rows_per_s:,.0f} rows/s{left}"
        )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Progress:
    """Counts a pass's rows; see the module docstring."""

    def __init__(
        self,
        name: str,
        total: int,
        say: Callable[[str], None] | None = None,
        every_s: float = EVERY_S,
        clock: Callable[[], float] = time.monotonic,
        total_work: int | None = None,
    ):
        self.name = name
        self.total = total
        self.say = say or (lambda line: None)
        self.every_s = every_s
        self.clock = clock
        self.done = 0
        self.total_work = total if total_work is None else total_work
        self.work_done = 0
        self.started = clock()
        self._last = self.started

    @classmethod
    def of_drop(
        cls, conn: Any, name: str, drop_id: str, tables: Iterable[Any], say: Callable[[str], None]
    ) -> Progress:
        """A pass over these tables (`Table`s) of a drop: counts to the rows `raw` holds of it,
        and to their work (rows plus the characters of their free text)."""
        rows = work = 0
        for table in tables:
            chars = " + ".join(
                f'coalesce(length("{column}"::varchar), 0)' for column in table.text_columns
            )
            counted, text = conn.execute(
                f"select count(*), coalesce(sum({chars or '0'}), 0) from raw.{table.name} "
                "where _drop_id = ?",
                [drop_id],
            ).fetchone()
            rows += counted
            work += counted + int(text)
        return cls(name, rows, say, total_work=work)

    def over(self, batches: Iterable[Any]) -> Iterator[Any]:
        """The batches (`drop_rows.Batch`), each counted once it has been used."""
        for batch in batches:
            yield batch
            rows = batch.arrow.num_rows
            self.advance(rows, rows + sum(len(text) for _, _, text, _ in batch.texts))

    @property
    def seconds(self) -> float:
        return self.clock() - self.started

    @property
    def rows_per_s(self) -> float:
        seconds = self.seconds
        return self.done / seconds if seconds > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        """The work left at the work rate so far (None before any work is done)."""
        seconds = self.seconds
        if self.work_done <= 0 or seconds <= 0 or self.total_work <= self.work_done:
            return None
        return (self.total_work - self.work_done) * seconds / self.work_done

    def advance(self, rows: int, work: int | None = None) -> None:
        """`rows` more done, and `work` more (the rows themselves when not given)."""
        self.done += rows
        self.work_done += rows if work is None else work
        now = self.clock()
        if now - self._last >= self.every_s:
            self._last = now
            self._report(finished=False)

    def finish(self) -> float:
        """Reports the pass's end; its rows per second."""
        self._report(finished=True)
        return self.rows_per_s

    def _report(self, finished: bool) -> None:
        step = Step(self.name, self.done, self.total, self.rows_per_s, finished, self.seconds_left)
        line = step.line()
        self.say(line)
        logger.info(line, extra={"progress": step})


class TerminalLine(logging.Handler):
    """Draws each progress record as one line that the next one overwrites, on a terminal; a
    finished pass's line is erased, so the terminal keeps only the run's own lines."""

    def __init__(self, stream: TextIO):
        super().__init__(logging.INFO)
        self.stream = stream
        self._width = 0

    def emit(self, record: logging.LogRecord) -> None:
        step: Step | None = getattr(record, "progress", None)
        if step is None:
            return
        line = "" if step.finished else step.line()
        self.stream.write("\r" + line.ljust(self._width) + ("\r" if step.finished else ""))
        self.stream.flush()
        self._width = len(line)

    @contextlib.contextmanager
    def attached(self) -> Iterator[None]:
        """Receives the progress records for the duration."""
        logger.addHandler(self)
        try:
            yield
        finally:
            logger.removeHandler(self)
