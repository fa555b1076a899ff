"""What was typed when the session expired is kept briefly, read once, for its page."""

import datetime as dt

from pec.domain import clock, form_stash
from pec.models import FormStash

FIELDS = [("city", "Roma"), ("province", "RM"), ("mailbox", "1"), ("mailbox", "2")]


def test_kept_fields_come_back_once_and_only_for_their_page(app):
    now = clock.now()
    key = form_stash.keep("/renewals/1/billing", FIELDS, now)
    assert form_stash.take(key, "/renewals/2/billing", now) is None
    assert form_stash.take(key, "/renewals/1/billing", now) == FIELDS
    assert form_stash.take(key, "/renewals/1/billing", now) is None
    assert FormStash.select().count() == 0


def test_kept_fields_expire_and_old_ones_are_dropped(app):
    now = clock.now()
    key = form_stash.keep("/a", FIELDS, now)
    assert form_stash.take(key, "/a", now + dt.timedelta(minutes=61)) is None
    form_stash.keep("/b", FIELDS, now)
    form_stash.keep("/c", FIELDS, now + dt.timedelta(hours=2))
    assert [s.path for s in FormStash.select()] == ["/c"]


def test_nothing_or_too_much_is_not_kept(app):
    now = clock.now()
    assert form_stash.keep("/a", [], now) is None
    assert form_stash.keep("/a", [("note", "x" * 30_000)], now) is None
    assert form_stash.take("unknown", "/a", now) is None
    assert FormStash.select().count() == 0
