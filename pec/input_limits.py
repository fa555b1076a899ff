"""What any request may carry, checked in one place before a view (or the database) sees it.

- No control characters: a NUL or an escape in a form field, a query parameter, a file
  name or the path is refused with a message (PostgreSQL refuses NUL in text outright,
  and nothing we keep has a use for them). Tabs and line breaks stay allowed.
- Forms only: a JSON body (which Flask-WTF's forms would read as fields) reaches only
  the views marked `reads_its_own_body` (payment notifications).
- Bounded sizes: each form field at most MAX_FORM_MEMORY_SIZE bytes (Werkzeug answers 413,
  with our page); the forms and the domain set tighter limits per field.
- Bounded numbers: ids in URLs are ASCII digits up to MAX_ID (an integer column's
  range on PostgreSQL; past it SQLite and PostgreSQL raise instead of finding nothing);
  `parse_id` and `arg_date` do the same for ids and dates read from forms and queries.

Every current and future form and route is covered: the guard is a `before_request`
hook and the `int` URL converter is replaced for the whole app.
"""

import datetime as dt
import re

from flask import Flask, current_app, render_template, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1
# Dates people may type in filters and forms; outside, a date is treated as not given
# (day + 1 past 9999-12-31, or 0001-01-01 moved to UTC, would overflow).
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2999, 12, 31)
# Unicode's control characters (category Cc: U+0000–U+001F and U+007F–U+009F, a set the
# standard keeps fixed) but tab, line feed and carriage return. One regular expression
# instead of a category lookup per character: every request's path and user agent pass here.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A query parameter is a filter or a page number, never long: past this the request is
# refused (414) before a view turns it into a LIKE pattern SQLite finds "too complex".
MAX_QUERY_VALUE = 1000
FORM_BODIES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# The methods whose body Flask-WTF reads as a form (flask_wtf.form.SUBMIT_METHODS).
SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: ASCII digits, 0 to MAX_ID (a larger number is a 404)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def parse_id(text) -> int | None:
    """An id typed or posted: ASCII digits, 1 to MAX_ID; None for anything else."""
    text = str(text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def parse_day(text) -> dt.date | None:
    """An ISO date (AAAA-MM-GG) between DATE_MIN and DATE_MAX, else None."""
    try:
        day = dt.date.fromisoformat(str(text or "").strip())
    except ValueError:
        return None
    return day if DATE_MIN <= day <= DATE_MAX else None


def arg_date(name: str) -> dt.date | None:
    """A date filter from the query string (see parse_day)."""
    return parse_day(request.args.get(name, ""))


def _texts():
    """Every piece of text of the request a view could read or keep (the user agent is
    kept as contract evidence)."""
    yield request.path
    yield request.headers.get("User-Agent", "")
    for key, value in request.args.items(multi=True):
        yield key
        yield value
    # Werkzeug reads fields and files only from these two kinds of body: for any other
    # request (every page view) they are empty, and looking would only cost time.
    if request.mimetype not in FORM_BODIES:
        return
    for key, value in request.form.items(multi=True):
        yield key
        yield value
    for key, upload in request.files.items(multi=True):
        yield key
        yield upload.filename or ""


def reads_its_own_body(view):
    """Mark a view that reads and checks its request's body itself (a payment provider's
    signed JSON notification): the only kind of view a JSON body may reach."""
    OWN_BODY_VIEWS.add(view)
    return view


# The views marked with reads_its_own_body (tests/test_web.py pins which they are).
OWN_BODY_VIEWS: set = set()


def _json_for_a_form() -> bool:
    """A JSON body sent to a view that would read it as a form: Flask-WTF reads a JSON
    body's fields as a form's (for these methods), past the checks below, and one nested
    deeper than Python's parser goes fails to parse at all. Every form here is an HTML
    form. A request for no view is left to its 404 or 405."""
    return (
        request.method in SUBMIT_METHODS
        and request.is_json
        and request.routing_exception is None
        and current_app.view_functions.get(request.endpoint) not in OWN_BODY_VIEWS
    )


def refuse_control_characters():
    """before_request, the first one (before CSRFProtect's, whose error page keeps the
    typed form): a page that says what is wrong, before anything reads the request."""
    if _json_for_a_form():
        return render_template("errors/error.html", status=415), 415
    if any(has_control_characters(text) for text in _texts()):
        return render_template("errors/error.html", status=400, reason="control"), 400
    if any(len(value) > MAX_QUERY_VALUE for value in request.args.values()):
        return render_template("errors/error.html", status=414), 414
    return None


def init_app(app: Flask) -> None:
    """Before any other extension (the guard runs first) and before the blueprints are
    registered (their rules take the converter then)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_control_characters)
