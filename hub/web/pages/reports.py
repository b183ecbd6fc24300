"""Reports: utilization per category over time, overdue rate, most borrowed and idle items,
maintenance cost and valuation; each table also as CSV."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import pygal
from fastapi import APIRouter, Depends, Query, Request, Response
from pygal.style import CleanStyle

from hub.domain.usage import week_start
from hub.store.reports import Report
from hub.web.context import Format, Web, csv_response, web_of
from hub.web.security import Viewer

router = APIRouter()
TABLES = "^(utilization|overdue|popular|idle|valuation|maintenance)$"


def _chart_config() -> dict[str, Any]:
    # no JavaScript: the charts are images, which the page's CSP allows as data: URIs
    return {"style": CleanStyle, "js": [], "height": 320, "width": 900, "x_label_rotation": 30}


def _utilization_chart(report: Report) -> str:
    chart = pygal.Line(
        title="Utilization per category (share of item-hours on loan)",
        range=(0, 100),
        **_chart_config(),
    )
    weeks = sorted({w for series in report.utilization.values() for w in series})
    chart.x_labels = [f"{w:%d %b}" for w in weeks]
    for category, series in report.utilization.items():
        chart.add(category, [round(series.get(w, 0.0) * 100, 1) for w in weeks])
    return str(chart.render_data_uri())


def _overdue_chart(report: Report) -> str:
    chart = pygal.Bar(title="Returns that came back late (%)", range=(0, 100), **_chart_config())
    weeks = sorted(report.overdue_rate)
    chart.x_labels = [f"{w:%d %b}" for w in weeks]
    chart.add(
        "late",
        [
            round(100 * late / total, 1) if total else 0
            for late, total in (report.overdue_rate[w] for w in weeks)
        ],
    )
    return str(chart.render_data_uri())


DEFAULT_WEEKS = 12
CHECK = timedelta(minutes=1)  # how often the hub looks whether the default report is out of date


def warm(web: Web) -> bool:
    """Compute the default report again if what it reads has changed, ahead of the next
    manager who asks (the hub looks every ``CHECK``): the database sums the ledger, but the
    valuation and the charts take seconds at a hundred thousand assets. Whether it did."""
    now = web.clock()
    start, end = _period(now, DEFAULT_WEEKS)
    return web.cache.refresh(
        ("reports", start, end), _mark(web, now), lambda: _figures(web, start, end, now)
    )


def _mark(web: Web, now: datetime) -> tuple[Any, ...]:
    """What the figures depend on: the ledger and registry (``report_mark``) and the day
    (book values change with it)."""
    return (*web.store.report_mark(), now.astimezone(web.tz).date())


def _period(now: datetime, weeks: int) -> tuple[datetime, datetime]:
    end = week_start(now) + timedelta(days=7)
    return end - timedelta(weeks=weeks), end


@router.get("/reports")
def reports(
    request: Request,
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
    weeks: Annotated[int, Query(ge=1, le=104)] = DEFAULT_WEEKS,
    format: Format = "html",
    table: Annotated[str, Query(pattern=TABLES)] = "utilization",
    fresh: bool = False,
) -> Response:
    """The figures as of their computation: new ones whenever the ledger or the registry has
    changed, at once if they are quick to make, else when asked (``fresh``, the page's
    Refresh button) or by the hub's next background pass."""
    now = web.clock()
    start, end = _period(now, weeks)
    if format == "csv":
        return _csv(web, table, start, end, now)
    figures = web.cache.get(
        ("reports", start, end),
        _mark(web, now),
        lambda: _figures(web, start, end, now),
        fresh=fresh,
    )
    return web.page(
        request,
        "reports.html",
        who,
        weeks=weeks,
        start=start,
        end=end,
        computed=figures.at,
        stale=figures.stale,
        **figures.value,
    )


def _figures(web: Web, start: datetime, end: datetime, now: datetime) -> dict[str, Any]:
    """Everything the page shows; reading a year of ledger takes seconds at scale, so the
    result is kept until the data changes (``Web.cache``)."""
    report = web.store.report(start, end)
    values = web.store.valuation_totals(now.date())
    return {
        "report": report,
        "utilization_chart": _utilization_chart(report),
        "overdue_chart": _overdue_chart(report),
        "costs": web.store.maintenance_cost(),
        "book_value": values.book_value,
        "cost_total": values.cost,
        "valued": values.valued,
        "counted": values.counted,
    }


def _csv(web: Web, table: str, start: datetime, end: datetime, now: datetime) -> Response:
    if table == "valuation":
        return csv_response(
            "valuation",
            ["code", "name", "category", "acquired", "cost", "book_value"],
            (
                [v.code, v.name, v.category, v.acquired, v.cost, v.value]
                for v in web.store.valuation(now.date())
            ),
        )
    if table == "maintenance":
        return csv_response(
            "maintenance-cost", ["category", "cost", "tickets"], web.store.maintenance_cost()
        )
    report = web.store.report(start, end)
    if table == "overdue":
        return csv_response(
            "overdue-rate",
            ["week", "late_returns", "returns"],
            ([w.date(), late, total] for w, (late, total) in sorted(report.overdue_rate.items())),
        )
    if table == "popular":
        return csv_response("most-borrowed", ["asset", "name", "checkouts"], report.most_borrowed)
    if table == "idle":
        return csv_response("idle-items", ["asset", "name", "category"], report.idle)
    return csv_response(
        "utilization",
        ["category", "week", "utilization"],
        (
            [c, w.date(), round(u, 4)]
            for c, series in report.utilization.items()
            for w, u in sorted(series.items())
        ),
    )
