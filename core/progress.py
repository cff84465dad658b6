"""Progress of long command-line work: a bar on a terminal, plain count lines in a log.

`keys rotate`, `audit verify`, `retention run` and `demo night` can run for minutes over a year of
data. On a terminal the operator sees a bar (click's); when the output goes to a file or the
journal, a plain line `label: done/total` every `every` items and at the end, so a log shows
that the work moves without a line per item.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import click

Step = Callable[[int], None]


@contextmanager
def progress(
    label: str, total: int | None = None, *, every: int = 1000, stream: IO[str] | None = None
) -> Iterator[Step]:
    """Yield `step(n)`, to call as n more items are done; shows a bar or periodic lines."""
    out = stream or sys.stderr
    if _is_terminal(out):
        with click.progressbar(length=total, label=label, file=out) as bar:
            yield bar.update
        return
    counter = _Lines(label, total, every, out)
    yield counter.step
    counter.finish()


def _is_terminal(out: Any) -> bool:
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError):
        return False


class _Lines:
    """Plain progress lines: one each time the count passes a multiple of `every`, one at the
    end."""

    def __init__(self, label: str, total: int | None, every: int, out: IO[str]) -> None:
        self.label, self.total, self.every, self.out = label, total, max(1, every), out
        self.done = 0

    def step(self, n: int = 1) -> None:
        before, self.done = self.done, self.done + n
        if self.done // self.every > before // self.every:
            self._line()

    def finish(self) -> None:
        if self.done % self.every or self.done == 0:
            self._line()

    def _line(self) -> None:
        of = f"/{self.total}" if self.total is not None else ""
        click.echo(f"{self.label}: {self.done}{of}", file=self.out)
