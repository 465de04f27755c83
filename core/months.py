"""Calendar months as the figures count them: a month is its first day."""

import datetime


def month_start(day: datetime.date) -> datetime.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after (negative: before) ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole months from ``start`` to ``end`` (0 when ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def complete_months(months: int, as_of: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first days of the first and the last of the ``months`` complete calendar months
    before ``as_of``'s month: the trailing window the merchant facts and pages use."""
    return add_months(as_of, -months), add_months(as_of, -1)
