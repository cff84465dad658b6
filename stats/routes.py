"""The statistics API at the edge: supervisors only, aggregates only."""

from __future__ import annotations

from core.api import api, endpoint
from core.policies import Role, allow
from stats import service
from stats.schemas import StatisticsQuery, StatisticsRead

SUPERVISORS = allow(Role.SUPERVISOR)


@api.get("/statistics")
@endpoint(
    "Shift statistics for a range of nights, weeks or months (aggregates only)",
    SUPERVISORS,
    query=StatisticsQuery,
    response=StatisticsRead,
    errors=(422,),
    tags=("statistics",),
)
def statistics(query: StatisticsQuery) -> StatisticsRead:
    """Answer calls and call-processing times for the range, in total and per group."""
    return service.statistics(query)
