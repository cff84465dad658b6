"""The risk trajectory's table, chart series and suggestions, built from plain screens.

No database here: `triage.trajectory` loads the screens (each incident's latest assessment per
instrument) and this module lays them side by side. A cell is `changed` when its answer differs
from the last answer given to that item in an earlier column. A stable fact is suggested when
the newest earlier screen that answered it said "yes", that screen is within the item's
`valid_days`, and the current screen has not answered it "yes" already.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from core.i18n import lazy_gettext as _l
from core.schemas import Output
from triage import explain
from triage.instruments import Instrument, Text
from triage.labels import level_label
from triage.models import Incident

FEAR = "victim_fear"  # the row of the victim's own fear (0-10), its own item in every table
FEAR_TEXT = _l("The victim's own fear (0 none – 10 fears for life)")


@dataclass(frozen=True)
class Screen:
    """One column: an incident's latest assessment of one instrument."""

    incident_id: int
    reference: str
    at: dt.datetime
    current: bool
    assessment_id: int
    instrument: str
    answers: Mapping[str, str]
    level: str
    score: float
    fear: int | None  # the latest fear recorded on that incident, whichever screen carried it


class EarlierIncident(Output):
    """An incident whose screens are shown, and why it was matched."""

    id: int
    reference: str
    received_at: dt.datetime
    restricted: bool
    matched_on: list[str] = Field(description="person, address and/or caller_phone")


class TrajectoryColumn(Output):
    """A screen in the table: an earlier incident's, or this incident's latest (`current`)."""

    incident_id: int
    reference: str
    at: dt.datetime
    current: bool
    assessment_id: int
    level: str
    level_label: str
    score: float


class TrajectoryCell(Output):
    """One answer (yes/no/unknown; the fear as "0".."10"); null when that screen did not ask."""

    answer: str | None
    changed: bool


class TrajectoryRow(Output):
    """One item across the columns."""

    item: str
    kind: Literal["item", "fear"]
    text: str
    stable: bool
    cells: list[TrajectoryCell]


class BandRead(Output):
    """A score range of a banded instrument (both ends inclusive, open when null)."""

    level: str
    min: int | None
    max: int | None


class InstrumentTrajectory(Output):
    """One instrument's screens side by side, oldest first, this incident's last."""

    instrument: str
    title: str
    levels: list[str] = Field(description="low → high")
    level_labels: list[str]
    max_score: int
    bands: list[BandRead]
    columns: list[TrajectoryColumn]
    rows: list[TrajectoryRow]


class SeriesPoint(Output):
    """Level and score of one screen, for the chart."""

    at: dt.datetime
    incident_id: int
    reference: str
    instrument: str
    level: str
    level_label: str
    level_rank: int = Field(description="0 = the instrument's lowest level")
    score: float
    current: bool


class Suggestion(Output):
    """A stable fact answered yes earlier, offered for the dispatcher to confirm."""

    instrument: str
    item: str
    text: str
    incident_id: int
    reference: str
    at: dt.datetime
    valid_until: dt.datetime


class TrajectoryRead(Output):
    """Earlier screens of the same person records and address beside this incident's."""

    incident_id: int | None
    limit: int
    incidents: list[EarlierIncident] = Field(description="newest first")
    instruments: list[InstrumentTrajectory]
    series: list[SeriesPoint]
    suggestions: list[Suggestion]


def text(texts: Text) -> str:
    """An instrument text in the reader's language."""
    return texts.en if explain.language() == "en" else texts.nl


def cells(values: Sequence[str | None]) -> list[TrajectoryCell]:
    """Cells for one row: changed where the answer differs from the last one given before."""
    out: list[TrajectoryCell] = []
    last: str | None = None
    for value in values:
        out.append(
            TrajectoryCell(answer=value, changed=None not in (value, last) and value != last)
        )
        last = value if value is not None else last
    return out


def rows(inst: Instrument, columns: Sequence[Screen]) -> list[TrajectoryRow]:
    """The instrument's items in its order, then the victim's own fear."""
    stable = inst.stable_days()
    out = [
        TrajectoryRow(
            item=item.id,
            kind="item",
            text=text(item.text),
            stable=item.id in stable,
            cells=cells([screen.answers.get(item.id) for screen in columns]),
        )
        for item in inst.items
    ]
    fears = [None if s.fear is None else str(s.fear) for s in columns]
    out.append(
        TrajectoryRow(item=FEAR, kind="fear", text=str(FEAR_TEXT), stable=False, cells=cells(fears))
    )
    return out


def column(screen: Screen) -> TrajectoryColumn:
    """A screen as a column head."""
    return TrajectoryColumn(
        incident_id=screen.incident_id,
        reference=screen.reference,
        at=screen.at,
        current=screen.current,
        assessment_id=screen.assessment_id,
        level=screen.level,
        level_label=level_label(screen.level),
        score=screen.score,
    )


def point(inst: Instrument, screen: Screen) -> SeriesPoint:
    """A screen as a point of the chart."""
    rank = inst.levels.index(screen.level) if screen.level in inst.levels else 0
    return SeriesPoint(
        at=screen.at,
        incident_id=screen.incident_id,
        reference=screen.reference,
        instrument=inst.id,
        level=screen.level,
        level_label=level_label(screen.level),
        level_rank=rank,
        score=screen.score,
        current=screen.current,
    )


def suggestions(inst: Instrument, columns: Sequence[Screen], now: dt.datetime) -> list[Suggestion]:
    """Stable items the newest earlier answer said yes to, still valid, not yet yes now."""
    days = inst.stable_days()
    earlier = [s for s in columns if not s.current]
    now_answers = next((s.answers for s in columns if s.current), {})
    out = []
    for item in inst.items:
        if item.id not in days or now_answers.get(item.id) == "yes":
            continue
        said = [s for s in earlier if s.answers.get(item.id) in ("yes", "no")]
        if not said or said[-1].answers[item.id] != "yes":
            continue  # never said, or a later screen said no: the fact ended
        until = said[-1].at + dt.timedelta(days=days[item.id])
        if until >= now:
            out.append(
                Suggestion(
                    instrument=inst.id,
                    item=item.id,
                    text=text(item.text),
                    incident_id=said[-1].incident_id,
                    reference=said[-1].reference,
                    at=said[-1].at,
                    valid_until=until,
                )
            )
    return out


def _ordered(screens: Sequence[Screen]) -> list[Screen]:
    """Earlier screens by date (then reference), the current one last."""
    return sorted(screens, key=lambda s: (s.current, s.at, s.reference))


def table(inst: Instrument, columns: Sequence[Screen]) -> InstrumentTrajectory:
    """One instrument's side-by-side table."""
    return InstrumentTrajectory(
        instrument=inst.id,
        title=text(inst.title),
        levels=list(inst.levels),
        level_labels=[level_label(level) for level in inst.levels],
        max_score=inst.max_score(),
        bands=[BandRead(level=b.level, min=b.min, max=b.max) for b in inst.bands],
        columns=[column(s) for s in columns],
        rows=rows(inst, columns),
    )


def build(
    instruments: Mapping[str, Instrument],
    screens: Sequence[Screen],
    matches: Sequence[tuple[Incident, list[str]]],
    current_id: int | None,
    now: dt.datetime,
    limit: int,
) -> TrajectoryRead:
    """The whole trajectory: a table per instrument that an earlier incident screened (the
    immediate-danger screen, about one moment, last), the chart series and the suggestions."""
    tables: list[InstrumentTrajectory] = []
    series: list[SeriesPoint] = []
    suggested: list[Suggestion] = []
    order = sorted(instruments.values(), key=lambda i: i.model == "immediate_danger")
    for inst in order:
        columns = _ordered([s for s in screens if s.instrument == inst.id])
        if not any(not s.current for s in columns):
            continue  # nothing earlier to compare with
        tables.append(table(inst, columns))
        series.extend(point(inst, s) for s in columns)
        suggested.extend(suggestions(inst, columns, now))
    return TrajectoryRead(
        incident_id=current_id,
        limit=limit,
        incidents=[
            EarlierIncident(
                id=i.id,
                reference=i.reference,
                received_at=i.received_at,
                restricted=bool(i.restricted),
                matched_on=on,
            )
            for i, on in matches
        ],
        instruments=tables,
        series=sorted(series, key=lambda p: (p.at, p.reference)),
        suggestions=suggested,
    )
