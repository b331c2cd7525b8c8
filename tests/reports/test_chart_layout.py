"""The digest chart's layout (issue 18, item 18): the legend never covers a bar, and a week with nothing
in it is drawn on a whole-number axis from 0, not on 0.00–0.05."""

from __future__ import annotations

from datetime import date, timedelta

from domain.reports.queries import EnterpriseWeek, OverdueItem, WeekFigures


def figures(ents: list[EnterpriseWeek], trend_values: list[int]) -> WeekFigures:
    trend = [(date(2026, 10, 12) + timedelta(weeks=i), v, v) for i, v in enumerate(trend_values)]
    return WeekFigures(date(2026, 11, 30), date(2026, 12, 7), ents, [], trend, None)  # type: ignore[arg-type]


def test_the_legend_covers_no_bar() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.patches import Rectangle

    from handlers.reports.charts import draw_chart

    # One busy enterprise (a quiet park's usual week): its bars fill the axes, where the legend sat.
    ents = [EnterpriseWeek(1, "华油装备制造有限公司", found=3, closed_immediate=2, open=3)]
    ents[0].overdue += [OverdueItem(f"YH-2026-000{i}", i, 2, "general") for i in range(1, 4)]  # type: ignore[arg-type]
    fig, _ = draw_chart(figures(ents, [3] * 8))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    top = fig.axes[0]
    legend = top.get_legend().get_window_extent(renderer)
    bars = [
        p.get_window_extent(renderer) for p in top.patches if isinstance(p, Rectangle) and p.get_width() > 0
    ]
    assert bars
    assert not [b for b in bars if b.overlaps(legend)]


def test_an_empty_week_is_drawn_on_whole_numbers_from_zero() -> None:
    from handlers.reports.charts import draw_chart

    fig, _ = draw_chart(figures([], [0] * 8))
    fig.draw_without_rendering()
    trend = fig.axes[-1]
    low, high = trend.get_ylim()
    assert low == 0 and high >= 1
    ticks = [t for t in trend.get_yticks() if low <= t <= high]
    assert ticks and all(float(t).is_integer() for t in ticks)
