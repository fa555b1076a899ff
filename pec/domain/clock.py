"""The one clock: every business date goes through here (R1: Europe/Rome).

Jobs take `today` as an argument; views and defaults call `today()`. Tests and
`pec jobs run --today` move the clock with `frozen()`.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")

_frozen_at: dt.datetime | None = None


def now() -> dt.datetime:
    """The current instant, as an aware UTC datetime."""
    if _frozen_at is not None:
        return _frozen_at
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date in Europe/Rome (a day starts at midnight in Rome, not in UTC)."""
    return now().astimezone(ROME).date()


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight of `day` in Rome, as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=ROME).astimezone(dt.UTC)


@contextmanager
def frozen(when: dt.date | dt.datetime) -> Iterator[None]:
    """Make now()/today() answer as of `when` (a date means 09:00 in Rome that day)."""
    global _frozen_at
    if isinstance(when, dt.datetime):
        instant = when if when.tzinfo else when.replace(tzinfo=ROME)
    else:
        instant = dt.datetime.combine(when, dt.time(9, 0), tzinfo=ROME)
    previous, _frozen_at = _frozen_at, instant.astimezone(dt.UTC)
    try:
        yield
    finally:
        _frozen_at = previous


def add_years(day: dt.date, years: int) -> dt.date:
    """`day` plus whole years; 29 February becomes 28 February (R2)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
