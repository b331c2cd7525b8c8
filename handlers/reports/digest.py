"""Rendering of reports for people: the weekly digest (text and chart) and the pieces the summary (`summary.py`) says.

Figures come from `domain/reports/queries.py`; the schedules (`schedules/`) and the commands
(`handlers/reports/commands.py`) both render through here, so a digest on demand reads like the one posted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Reply
from domain.reports import queries as report_queries
from domain.reports.queries import BroadcastFigures, WeekFigures
from handlers import texts as T
from handlers.reports.supplies_section import supplies_section
from handlers.util import is_disk_full
from storage.enums import DrillKind

logger = logging.getLogger(__name__)


def percent(part: int, whole: int) -> str:
    """Format a share as people read it: 87.5%, or — when there is nothing to divide."""
    if not whole:
        return T.SUMMARY_NOT_YET
    return f"{part * 100 / whole:.1f}%".replace(".0%", "%")


# Kinds in the order a summary names them; 例会 and 通知 are said on their own (storage.enums.NoticeCategory).
OTHER_MEETING_KINDS = ("mobilisation", "training", "other")
DOCUMENT_KINDS = ("plan", "emergency_plan", "regulation", "bulletin")


def kind_items(counts: dict[str, int], kinds: tuple[str, ...], template: str) -> str:
    """Say the kinds counted, those with none left out: 动员会（专题会） 7 次、培训会 1 次."""
    return "、".join(
        template.format(name=T.NOTICE_CATEGORY_NAMES[k], count=counts[k]) for k in kinds if counts.get(k)
    )


def meeting_kinds(b: BroadcastFigures) -> str:
    """Say the meetings held by kind for the digest, or nothing when none was held: （例会 1 次、动员会 1 次）."""
    items = kind_items(b.meetings_by_category, ("regular", *OTHER_MEETING_KINDS), T.KIND_COUNT_MEETING)
    return T.DIGEST_MEETING_KINDS.format(items=items) if items else ""


def plain_notices(b: BroadcastFigures) -> int:
    """Return the notices issued that are plain 通知 (not a 方案, 预案, 制度 or 通报)."""
    return b.notices - sum(b.notices_by_category.get(k, 0) for k in DOCUMENT_KINDS)


# --- weekly digest --------------------------------------------------------------------------


def digest_text(f: WeekFigures, park: str) -> str:
    """Return the digest as short lines for a phone: totals, busy enterprises, the quiet ones in one line."""
    last_day = f.end - timedelta(days=1)
    lines = [
        T.DIGEST_TITLE.format(park=park, label=f.label, start=f"{f.start:%m-%d}", end=f"{last_day:%m-%d}"),
        T.DIGEST_TOTALS.format(
            found=f.total("found"),
            closed=f.total("closed"),
            immediate=f.total("closed_immediate"),
            deadline=f.total("closed_deadline"),
            open=f.total("open"),
            overdue=len(f.overdue),
        ),
    ]
    if not f.enterprises:
        lines.append(T.DIGEST_NO_ENTERPRISES)
    busy = [e for e in f.enterprises if not e.quiet]
    busy.sort(key=lambda e: (-(len(e.overdue) * 100 + e.found + e.closed), e.enterprise_id))
    listed, rest = busy[: T.DIGEST_LIST_LIMIT], busy[T.DIGEST_LIST_LIMIT :]
    quiet = [e for e in f.enterprises if e.quiet]
    if listed:
        lines.append(T.DIGEST_ENTERPRISES)
        for e in listed:
            overdue = ""
            if e.overdue:
                items = "、".join(
                    T.DIGEST_OVERDUE_ITEM.format(code=o.code, days=o.days) for o in e.overdue[:3]
                )
                if len(e.overdue) > 3:
                    items += "…"
                overdue = T.DIGEST_ENTERPRISE_OVERDUE.format(count=len(e.overdue), items=items)
            lines.append(
                T.DIGEST_ENTERPRISE_LINE.format(
                    name=e.name, found=e.found, closed=e.closed, open=e.open, overdue=overdue
                )
            )
    if rest:  # busy ones the list has no room for: summed up, never counted among the quiet
        lines.append(
            T.DIGEST_REST.format(
                count=len(rest),
                found=sum(e.found for e in rest),
                closed=sum(e.closed for e in rest),
                overdue=sum(len(e.overdue) for e in rest),
            )
        )
    if quiet:
        with_open = [e for e in quiet if e.open]
        open_note = (
            T.DIGEST_QUIET_OPEN.format(count=len(with_open), hazards=sum(e.open for e in with_open))
            if with_open
            else ""
        )
        if listed:
            lines.append(T.DIGEST_QUIET.format(count=len(quiet), open=open_note))
        else:
            lines.append(T.DIGEST_ALL_QUIET.format(open=open_note))
    if f.majors:
        lines.append(T.DIGEST_MAJORS)
        for m in f.majors[:10]:
            lines.append(
                T.DIGEST_MAJOR_LINE.format(
                    code=m.code, enterprise=m.enterprise, status=T.STATUS_NAMES[m.status]
                )
            )
        if len(f.majors) > 10:
            lines.append(T.DIGEST_MAJORS_MORE.format(count=len(f.majors) - 10))
    else:
        lines.append(T.DIGEST_NO_MAJORS)
    b = f.broadcast
    if b.meetings or b.notices or b.meetings_scheduled or b.receipts_expected:
        rate = percent(b.receipts_given, b.receipts_expected)
        items = kind_items(b.notices_by_category, DOCUMENT_KINDS, T.KIND_COUNT_DOCUMENT)
        lines.append(
            T.DIGEST_MEETINGS.format(
                meetings=b.meetings,
                meeting_kinds=meeting_kinds(b),
                rate=rate,
                notices=plain_notices(b),
                documents=T.DIGEST_DOCUMENTS.format(items=items) if items else "",
            )
        )
        if b.meetings_scheduled:
            lines.append(T.DIGEST_MEETINGS_SCHEDULED.format(count=b.meetings_scheduled))
    if b.campaigns:
        lines.append(T.DIGEST_CAMPAIGNS)
        lines += [
            T.DIGEST_CAMPAIGN_LINE.format(title=c.title, done=c.done, tasks=c.tasks)
            if c.tasks
            else T.DIGEST_CAMPAIGN_NO_TASKS.format(title=c.title)  # back-filled (补录): no task per enterprise
            for c in b.campaigns
        ]
    lines.append(T.DIGEST_FOOTER)
    return "\n".join(lines)


async def week_digest(
    session: AsyncSession, settings: Settings, monday: date, now: datetime
) -> tuple[WeekFigures, Reply]:
    """Return the figures of a week and the digest reply (text and chart) for them."""
    park = settings.park
    today = park.day(now)
    figures = await report_queries.week_figures(
        session, monday, today, park.tz, park.immediate_grace_days, now
    )
    text = digest_text(figures, park.name)
    supplies = await supplies_section(session, today)  # a section of its own, before the footer's links
    if supplies:
        text = text.replace(T.DIGEST_FOOTER, f"{supplies}\n{T.DIGEST_FOOTER}")
    path = settings.storage.new_report_path(f"digest-{figures.label}", ".png", now.astimezone(park.tz))
    try:
        from handlers.reports.charts import digest_chart

        await asyncio.to_thread(digest_chart, figures, path)
    except Exception as exc:  # the figures still go out without their picture, and no half-written file stays
        path.unlink(missing_ok=True)
        if is_disk_full(exc):
            logger.error("digest chart for %s not drawn: the disk is full", figures.label)
            return figures, Reply(text=f"{text}\n{T.CHART_DISK_FULL}")
        logger.exception("digest chart for %s not drawn", figures.label)
        return figures, Reply(text=f"{text}\n{T.CHART_FAILED}")
    return figures, Reply(text=text, photos=(path,))


# --- summary pieces (the summary itself: `summary.py`; drills and trainings: `drills.py`) -------------


def drill_kind_parts(kinds: Mapping[DrillKind, int]) -> list[str]:
    """Return 消防 3 次, 防汛 1 次 … for the kinds that occurred, in their order."""
    return [
        T.SUMMARY_DRILL_KIND.format(kind=T.DRILL_KIND_NAMES[k], count=kinds[k]) for k in DrillKind if kinds.get(k)
    ]


def drill_kinds_text(kinds: Mapping[DrillKind, int]) -> str:
    """Return （消防 3 次、防汛 1 次）, the kinds that occurred in their order; empty when none did."""
    parts = drill_kind_parts(kinds)
    return T.SUMMARY_DRILL_KINDS.format(kinds="、".join(parts)) if parts else ""


def scopes_text(external: int, internal: int) -> str:
    """Return （外部培训 n 次、内部培训 m 次）, the parts that are not zero; empty when both are."""
    parts = [
        *([T.SUMMARY_TRAINING_EXTERNAL.format(count=external)] if external else []),
        *([T.SUMMARY_TRAINING_INTERNAL.format(count=internal)] if internal else []),
    ]
    return T.SUMMARY_TRAINING_SCOPES.format(scopes="、".join(parts)) if parts else ""
