"""Long command-line work shows that it moves: a bar on a terminal, count lines in a log."""

from __future__ import annotations

import io

from core import audit
from core.db import db
from core.progress import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_a_line_per_batch_and_one_at_the_end():
    log = io.StringIO()
    with progress("retention run", 5, every=2, stream=log) as step:
        for _ in range(5):
            step(1)
    assert log.getvalue().splitlines() == [
        "retention run: 2/5",
        "retention run: 4/5",
        "retention run: 5/5",
    ]


def test_without_a_total_the_lines_say_the_count_and_nothing_done_says_so():
    log = io.StringIO()
    with progress("keys rotate incident.narrative", every=1000, stream=log) as step:
        step(1000)
        step(500)
    with progress("audit verify", 0, stream=log):
        pass
    assert log.getvalue().splitlines() == [
        "keys rotate incident.narrative: 1000",
        "keys rotate incident.narrative: 1500",
        "audit verify: 0/0",
    ]


def test_a_terminal_gets_a_bar():
    screen = Terminal()
    with progress("audit verify", 4, stream=screen) as step:
        step(4)
    shown = screen.getvalue()
    assert "audit verify" in shown and "100%" in shown and "audit verify: 4/4" not in shown


def test_audit_verify_counts_the_events_it_walked(app, runner):
    with app.app_context():
        for i in range(3):
            audit.record("view", "incident", i + 1, username="an")
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    walked = [line for line in result.output.splitlines() if line.startswith("audit verify: ")]
    assert walked == ["audit verify: 3/3"] and "audit chain ok: 3 events" in result.output
