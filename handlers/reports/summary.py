"""The year-end summary as people read it: the sections in the order a park's summary is written (责任体系,
会议, 文件, 检查, 应急), each with its figures month by month, then the data table.

One set of words for every form: the chat (`summary_text`, compact lines within a message's limit), the Word
document (`summary_docx.py`, the same paragraphs with real tables) and the export's sheet
(`summary_sheet.py`). The figures come from `domain/reports/year.py`.
"""

from __future__ import annotations

from datetime import date

from domain.reports.queries import SummaryFigures
from domain.reports.year import YearSummary
from handlers import texts as T
from handlers.reports.digest import (
    OTHER_MEETING_KINDS,
    drill_kind_parts,
    drill_kinds_text,
    kind_items,
    percent,
    plain_notices,
    scopes_text,
)

FILE_KINDS = ("plan", "emergency_plan", "regulation")  # 文件 says these; 通报 is said with the inspections


def summary_values(f: SummaryFigures) -> dict[str, str]:
    """Return the summary's values as printed, by the keys of `T.SUMMARY_ROWS`."""
    b = f.broadcast
    campaigns_done = sum(c.done for c in b.campaigns)
    campaigns_tasks = sum(c.tasks for c in b.campaigns)
    meetings, documents = b.meetings_by_category, b.notices_by_category
    return {
        "meetings": str(meetings.get("regular", 0)),
        "mobilisation": str(meetings.get("mobilisation", 0)),
        "training_meetings": str(meetings.get("training", 0)),
        "other_meetings": str(meetings.get("other", 0)),
        "receipt_rate": percent(b.meeting_receipts_given, b.meeting_receipts_expected),
        "attendance_rate": percent(b.attended, b.attendance_places),
        "plan": str(documents.get("plan", 0)),
        "emergency_plan": str(documents.get("emergency_plan", 0)),
        "regulation": str(documents.get("regulation", 0)),
        "bulletin": str(documents.get("bulletin", 0)),
        "notices": str(plain_notices(b)),
        "campaigns": str(len(b.campaigns)),
        "campaign_rate": percent(campaigns_done, campaigns_tasks),
        "inspections": str(f.inspections),
        "person_times": str(f.inspection_person_times),
        "inspection_found": str(f.inspection_found),
        "found": str(f.found),
        "major": str(f.major),
        "immediate": str(f.rectified_immediately),
        "deadline": str(f.rectified_by_deadline),
        "closed": str(f.closed),
        "rate": percent(f.closed, f.found),
        "open": str(f.still_open),
        "drills": f"{f.drills}/{f.drill_people}",
        "drill_kinds": "、".join(drill_kind_parts(f.drill_kinds)) or T.SUMMARY_NOT_YET,
        "trainings": f"{f.trainings}/{f.training_people}",
        "officers": T.SUMMARY_OFFICERS_VALUE.format(officers=f.officers, enterprises=f.officer_enterprises),
        "letters": str(f.letters_signed),
    }


def figure_rows(y: YearSummary) -> list[tuple[str, str]]:
    """Return the data table as (label, value) rows: the summary's own rows first, then the usual ones,
    then emergency readiness and education."""
    v = {**summary_values(y.figures), "enterprises": str(y.enterprises), **readiness_values(y)}
    rows = (*T.SUMMARY_EXTRA_ROWS, *T.SUMMARY_ROWS, *T.SUMMARY_READINESS_ROWS)
    return [(label, v[key]) for label, key in rows if key in v]


def _average(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else T.SUMMARY_NOT_YET


def readiness_values(y: YearSummary) -> dict[str, str]:
    """Return the data table's values of emergency readiness and education (none without its figures)."""
    r = y.readiness
    if r is None:
        return {}
    s, q = r.supplies, r.quiz
    items = "、".join(T.SUMMARY_READINESS_ITEM.format(item=t.item, count=t.count, unit=t.unit) for t in r.publicity)
    return {
        "command": str(r.command),
        "roll_calls": str(r.roll_calls),
        "supplies": f"{s.items}/{s.pieces}",
        "supply_checks": str(s.checks),
        "supply_due": f"{s.due_soon}/{s.overdue}",
        "quiz": f"{q.quizzes}/{q.person_times}",
        "quiz_average": _average(q.average),
        "publicity": items or T.SUMMARY_NOT_YET,
    }


def readiness_text(y: YearSummary) -> str:
    """Return the emergency section's sentence on the command, supplies, quiz and publicity ("" without any)."""
    r = y.readiness
    if r is None:
        return ""
    parts = [
        T.SUMMARY_READINESS_COMMAND.format(command=r.command, office=r.office, calls=r.roll_calls)
        if r.command
        else T.SUMMARY_READINESS_NO_COMMAND
    ]
    s = r.supplies
    if s.items:
        said = T.SUMMARY_READINESS_SUPPLIES.format(
            items=s.items, pieces=s.pieces, checks=s.checks, ok=s.up_to_date, soon=s.due_soon, overdue=s.overdue
        )
        parts.append(said)
    q = r.quiz
    if q.quizzes:
        said = T.SUMMARY_READINESS_QUIZ.format(
            quizzes=q.quizzes, enterprises=q.enterprises, people=q.people, times=q.person_times, average=_average(q.average)
        )
        parts.append(said)
    if r.publicity:
        items = "、".join(T.SUMMARY_READINESS_ITEM.format(item=t.item, count=t.count, unit=t.unit) for t in r.publicity)
        parts.append(T.SUMMARY_READINESS_PUBLICITY.format(items=items))
    return T.SUMMARY_READINESS_SENTENCE.format(parts="；".join(parts))


def sections(y: YearSummary) -> list[tuple[str, str]]:
    """Return each section's heading and paragraph, in the order a summary is written."""
    f, b = y.figures, y.figures.broadcast
    v = summary_values(f)
    letters = (
        T.SUMMARY_DUTY_LETTERS.format(count=f.letters_signed) if f.letters_signed else T.SUMMARY_DUTY_NO_LETTERS
    )
    officers = (
        T.SUMMARY_DUTY_OFFICERS.format(officers=f.officers, enterprises=f.officer_enterprises)
        if f.officers
        else T.SUMMARY_DUTY_NO_OFFICERS
    )
    duty = T.SUMMARY_DUTY.format(enterprises=y.enterprises, letters=letters, officers=officers)
    others = kind_items(b.meetings_by_category, OTHER_MEETING_KINDS, T.KIND_COUNT_MEETING)
    meetings = T.SUMMARY_SECTION_MEETINGS.format(
        meetings=v["meetings"],
        others=T.SUMMARY_OTHER_MEETINGS.format(items=others) if others else "",
        rate=v["receipt_rate"],
        attendance=v["attendance_rate"],
        scheduled=T.SUMMARY_SECTION_SCHEDULED.format(count=b.meetings_scheduled) if b.meetings_scheduled else "",
    )
    files = kind_items(b.notices_by_category, FILE_KINDS, T.KIND_COUNT_DOCUMENT)
    documents = T.SUMMARY_SECTION_DOCUMENTS.format(
        documents=T.SUMMARY_DOCUMENTS.format(items=files) if files else "", notices=v["notices"]
    )
    bulletins = b.notices_by_category.get("bulletin", 0)
    checks = T.SUMMARY_SECTION_CHECKS.format_map(
        {
            **v,
            "campaigns": T.SUMMARY_CAMPAIGNS.format(campaigns=v["campaigns"], rate=v["campaign_rate"])
            if b.campaigns
            else "",
            "inspection_found": T.SUMMARY_INSPECTION_FOUND.format(count=f.inspection_found) if f.inspection_found else "",
            "rectified": f.rectified_immediately + f.rectified_by_deadline,
            "bulletins": T.SUMMARY_SECTION_BULLETINS.format(count=bulletins) if bulletins else "",
        }
    )
    emergency = T.SUMMARY_SECTION_EMERGENCY.format(
        drills=f.drills,
        drill_kinds=drill_kinds_text(f.drill_kinds),
        drill_people=f.drill_people,
        trainings=f.trainings,
        training_people=f.training_people,
        training_scopes=scopes_text(f.trainings_external, f.trainings_internal),
    ) + readiness_text(y)
    return list(zip(T.SUMMARY_SECTIONS, (duty, meetings, documents, checks, emergency), strict=True))


def month_labels(months: list[date]) -> list[str]:
    """Return the months as people say them: 3月, or 2025年12月 when the period spans two years."""
    one_year = len({m.year for m in months}) <= 1
    return [
        T.SUMMARY_MONTH.format(month=m.month) if one_year else T.SUMMARY_MONTH_OF_YEAR.format(year=m.year, month=m.month)
        for m in months
    ]


def month_columns(y: YearSummary, section: int) -> list[tuple[str, list[int]]]:
    """Return a section's monthly series as (label, one value per month), leaving out those that are zero
    all period long (the section's first is always kept: a table is never empty)."""
    columns = [(label, y.series(key)) for label, key in T.SUMMARY_MONTHLY[section]]
    return [c for i, c in enumerate(columns) if i == 0 or any(c[1])]


def months_line(y: YearSummary, section: int) -> str | None:
    """Return a section's month-by-month line for the chat (only the months with something), or None."""
    labels = month_labels(y.months)
    items = []
    for label, values in month_columns(y, section):
        months = "、".join(
            T.SUMMARY_MONTH_VALUE.format(month=labels[i], value=value) for i, value in enumerate(values) if value
        )
        if months:
            items.append(T.SUMMARY_MONTHS_ITEM.format(label=label, months=months))
    return T.SUMMARY_MONTHS_LINE.format(items="；".join(items)) if items else None


def title(y: YearSummary, park: str, year: int | None) -> str:
    """Return the chat's title line for a year or a period."""
    f = y.figures
    if year is not None:
        return T.SUMMARY_DRAFT_TITLE_YEAR.format(park=park, year=year)
    return T.SUMMARY_DRAFT_TITLE_RANGE.format(park=park, start=f.start.isoformat(), end=f.end.isoformat())


def word_period(y: YearSummary, year: int | None) -> str:
    """Return how /summary names the period (2026, or 2026-01-01 2026-06-30), for the hint to ask for Word."""
    return str(year) if year is not None else f"{y.figures.start.isoformat()} {y.figures.end.isoformat()}"


def summary_text(y: YearSummary, park: str, year: int | None) -> str:
    """Return the summary for the chat: the sections with their months, the data table, the notes."""
    lines = [title(y, park, year)]
    for i, (heading, text) in enumerate(sections(y)):
        lines.append(T.SUMMARY_SECTION_LINE.format(heading=heading, text=text))
        if (months := months_line(y, i)) is not None:
            lines.append(months)
    lines += ["", T.SUMMARY_TABLE, *(f"{label}：{value}" for label, value in figure_rows(y)), ""]
    lines += [T.SUMMARY_NOTE, T.SUMMARY_DATES_NOTE]
    if not y.months:
        lines.append(T.SUMMARY_NO_MONTHS)
    lines.append(T.SUMMARY_WORD_HINT.format(period=word_period(y, year)))
    return "\n".join(lines)
