import datetime as dt

from pec.domain import clock


def test_today_is_the_date_in_rome_not_in_utc():
    # 23:30 UTC on 31 March is already 1 April in Rome (CEST, UTC+2).
    late_utc = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
    with clock.frozen(late_utc):
        assert clock.today() == dt.date(2026, 4, 1)


def test_frozen_date_sets_today_and_restores_afterwards():
    before = clock.today()
    with clock.frozen(dt.date(2030, 1, 2)):
        assert clock.today() == dt.date(2030, 1, 2)
        assert clock.now().tzinfo is not None
    assert clock.today() == before


def test_add_years_maps_29_february_to_28_february():
    assert clock.add_years(dt.date(2024, 2, 29), 3) == dt.date(2027, 2, 28)
    assert clock.add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)
    assert clock.add_years(dt.date(2026, 12, 31), 3) == dt.date(2029, 12, 31)


def test_start_of_day_is_midnight_in_rome():
    assert clock.start_of_day(dt.date(2026, 7, 1)) == dt.datetime(2026, 6, 30, 22, 0, tzinfo=dt.UTC)
