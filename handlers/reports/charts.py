"""The weekly digest's chart and the year-end summary's weekly trend, drawn with matplotlib in the CJK font the project ships (via `mplfonts`).

matplotlib is heavy (about 0.5 s and 30 MB to import): it is imported inside `digest_chart` only, never
on the per-update path or at bot start. Call it in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.reports.queries import EnterpriseWeek, WeekFigures
from handlers import texts as T

if TYPE_CHECKING:  # matplotlib is imported when a chart is drawn, never at start
    from matplotlib.figure import Figure

FONT_FILE = "NotoSansCJKsc-Regular.otf"  # Noto Sans CJK SC (SIL Open Font License), shipped by mplfonts
CHART_ENTERPRISES = 12  # bars drawn one by one; the rest are one bar, 其他企业


class FontMissing(RuntimeError):
    """The bundled CJK font is not installed (the `mplfonts` dependency is missing)."""


def font_path() -> Path:
    """Return the CJK font file the charts use, found without importing its package."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise FontMissing("the mplfonts package (Noto Sans CJK SC) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / FONT_FILE
    if not path.is_file():
        raise FontMissing(f"{path} is missing")
    return path


def _bars(figures: WeekFigures) -> list[tuple[str, int, int, int, int]]:
    """Return (name, found, closed, open, overdue) per bar: the busiest enterprises, then the rest as one."""
    busy = sorted(
        (e for e in figures.enterprises if not e.quiet or e.open),
        key=lambda e: (-(e.found + e.closed + len(e.overdue) + e.open), e.enterprise_id),
    )
    shown, rest = busy[:CHART_ENTERPRISES], busy[CHART_ENTERPRISES:]

    def row(name: str, group: Sequence[EnterpriseWeek]) -> tuple[str, int, int, int, int]:
        return (
            name,
            sum(e.found for e in group),
            sum(e.closed for e in group),
            sum(e.open for e in group),
            sum(len(e.overdue) for e in group),
        )

    bars = [row(_short_name(e.name), [e]) for e in shown]
    if rest:
        bars.append(row(T.CHART_OTHERS, rest))
    return bars


def _short_name(name: str) -> str:
    """Cut a company name for an axis label: the part before 有限公司 etc., at most 8 characters."""
    for tail in ("股份有限公司", "有限责任公司", "有限公司"):
        name = name.removesuffix(tail)
    return name if len(name) <= 8 else name[:7] + "…"


COLOURS = ("#4c78a8", "#54a24b", "#f2a541", "#e45756")  # found, closed, open, overdue


def _font_family() -> str:
    """Load matplotlib for files only (no display) with the bundled CJK font; return the font's family."""
    import matplotlib

    matplotlib.use("Agg")  # no display: a file only
    from matplotlib import font_manager

    font = font_path()
    font_manager.fontManager.addfont(str(font))
    return str(font_manager.FontProperties(fname=str(font)).get_name())


def _trend(ax: Any, trend: Sequence[tuple[date, int, int]], title: str, colours: Sequence[str], every: int = 1) -> list[str]:
    """Draw found and closed per week on `ax` on a whole-number axis from 0 (at least 0–1: an empty week is
    not drawn on 0.00–0.05), every `every`-th week labelled; return the labels drawn."""
    weeks = [T.CHART_WEEK.format(month=m.month, day=m.day) for m, _, _ in trend]
    found = [f for _, f, _ in trend]
    closed = [c for _, _, c in trend]
    ax.plot(range(len(weeks)), found, marker="o", label=T.CHART_FOUND, color=colours[0])
    ax.plot(range(len(weeks)), closed, marker="s", label=T.CHART_CLOSED, color=colours[1])
    shown = list(range(0, len(weeks), every))
    ax.set_xticks(shown, [weeks[i] for i in shown])
    ax.set_title(title)
    ax.set_ylabel(T.CHART_COUNT)
    ax.yaxis.get_major_locator().set_params(integer=True)
    peak = max([*found, *closed, 0])
    ax.set_ylim(0, max(peak, 1) * 1.15)  # whole numbers from 0, with room above the highest point
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    ax.tick_params(axis="x", labelrotation=30)
    return [title, *(weeks[i] for i in shown)]


def trend_chart(trend: Sequence[tuple[date, int, int]], title: str, path: Path) -> list[str]:
    """Draw the weekly trend of a period (the year-end summary's chart) as a PNG at `path`, a label about
    every month; return every label drawn."""
    import matplotlib
    from matplotlib.figure import Figure

    family = _font_family()
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False}):
        fig = Figure(figsize=(9, 4), dpi=110, layout="constrained")
        labels = _trend(fig.subplots(), trend, title, COLOURS, every=max(1, len(trend) // 12))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return labels


def digest_chart(figures: WeekFigures, path: Path) -> list[str]:
    """Draw the digest's chart as a PNG at `path`; return every label drawn (for the font check)."""
    fig, labels = draw_chart(figures)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return labels


def draw_chart(figures: WeekFigures) -> tuple[Figure, list[str]]:
    """Draw the digest's chart; return the figure and every label drawn.

    Top: hazards per enterprise by status (found, closed, open, overdue), the legend beside the bars,
    never over one. Bottom: found and closed per week over the last eight weeks, on a whole-number
    axis from 0 (at least 0–1: an empty week is not drawn on 0.00–0.05).
    """
    import matplotlib
    from matplotlib.figure import Figure

    family = _font_family()
    labels: list[str] = []
    bars = _bars(figures)
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False}):
        fig = Figure(figsize=(8, 9), dpi=110, layout="constrained")
        top, bottom = fig.subplots(2, 1, height_ratios=[3, 2])
        title = f"{T.CHART_TITLE_STATUS}（{figures.label}）"
        top.set_title(title)
        labels.append(title)
        series = (T.CHART_FOUND, T.CHART_CLOSED, T.CHART_OPEN, T.CHART_OVERDUE)
        colours = COLOURS
        if bars:
            names = [b[0] for b in reversed(bars)]
            height = 0.2
            for i, (name, colour) in enumerate(zip(series, colours, strict=True)):
                values = [b[i + 1] for b in reversed(bars)]
                positions = [y + (1.5 - i) * height for y in range(len(names))]
                top.barh(positions, values, height=height, label=name, color=colour)
            top.set_yticks(range(len(names)), names)
            # Outside the axes, to the right: inside it would cover the longest bars.
            top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
            top.set_xlabel(T.CHART_COUNT)
            top.xaxis.get_major_locator().set_params(integer=True)
            labels += [*names, *series, T.CHART_COUNT]
        else:
            top.text(0.5, 0.5, T.CHART_NONE, ha="center", va="center", transform=top.transAxes)
            top.set_axis_off()
            labels.append(T.CHART_NONE)
        labels += _trend(bottom, figures.trend, T.CHART_TITLE_TREND, colours)
    return fig, labels
