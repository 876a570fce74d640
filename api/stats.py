"""``GET /v1/stats``: the figures ``hvconnect stats --json`` prints, for the same period
filters (both days included, by submission date; this year without them)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import ApiDeps
from api.params import DAY, day
from api.problems import Kind, ProblemError, documented
from api.scopes import Scope
from process.metrics_period import Period, PeriodError, year_of
from reports.figures import build_report, report_json
from storage.stats import StatsRepo

EARLIEST, LATEST = date(2000, 1, 1), date(2199, 12, 31)


def router(deps: ApiDeps) -> APIRouter:
    routes = APIRouter(tags=["stats"])
    reader = Depends(deps.gate.require(Scope.STATS_READ))
    errors = documented(Kind.BAD_REQUEST, Kind.UNAUTHORIZED, Kind.FORBIDDEN, Kind.INVALID)
    errors |= documented(Kind.RATE_LIMITED)

    @routes.get("/stats", responses=errors, dependencies=[reader], summary="A period's figures")
    async def stats(
        first_day: Annotated[
            str | None, Query(alias="from", max_length=10, json_schema_extra=DAY)
        ] = None,
        last_day: Annotated[
            str | None, Query(alias="to", max_length=10, json_schema_extra=DAY)
        ] = None,
        district: Annotated[str | None, Query(max_length=30)] = None,
    ) -> dict[str, Any]:
        first, last = day(first_day, "from"), day(last_day, "to")
        for name, given in (("from", first), ("to", last)):
            if given is not None and not EARLIEST <= given <= LATEST:
                raise ProblemError(
                    Kind.INVALID, f"{name}: expected a day from {EARLIEST} to {LATEST}", field=name
                )
        ctx = deps.ctx
        now = deps.clock.now()
        this_year = year_of(now.astimezone(ctx.tz).year)
        try:
            period = Period(first or this_year.first, last or this_year.last)
        except PeriodError as error:
            if error.code == "order":
                raise ProblemError(
                    Kind.INVALID, "from: the first day comes after the last (to)", field="from"
                ) from None
            raise ProblemError(
                Kind.INVALID, "from/to: a period of at most 20 years", field="to"
            ) from None
        if district is not None and district not in deps.districts:
            raise ProblemError(
                Kind.INVALID,
                f"district: expected one of {', '.join(deps.districts)}",
                field="district",
            )
        report = await build_report(
            StatsRepo(ctx.db),
            period=period,
            district=district,
            calendar=ctx.calendar,
            limits=ctx.limits,
            now=now,
            tz=ctx.tz,
        )
        return report_json(report)

    return routes
