"""Templates' `url_for` keeps each URL it builds (pec.template_urls): always the link
Flask would build, under any site root, for any values."""

import pytest
from flask import render_template_string
from flask import url_for as flask_url_for

from pec import template_urls

CALLS = [
    ("renewal.contracts", {"order_id": 7}),
    ("renewal.document", {"order_id": 7, "code": "condizioni"}),
    ("mailboxes.index", {"page": 2, "q": "rossi & c"}),
    ("mailboxes.index", {"page": True}),  # equal to 1 as a key, not as a link
    ("mailboxes.index", {"page": 1}),
    ("mailboxes.index", {"q": ["a", "b"]}),  # a list: no key, built each time
    ("static", {"filename": "app.css", "v": "abc"}),
    ("auth.home", {}),
]


def test_a_kept_url_is_the_one_flask_builds(app):
    kept = app.jinja_env.globals["url_for"]
    assert kept is not app.url_for and kept.cache_info  # the kept one is installed
    # built, then kept; under two site roots (a proxy may serve the site under a path)
    for root in ["", "/portale", "", "/portale"]:
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            for endpoint, values in CALLS:
                assert kept(endpoint, **values) == flask_url_for(endpoint, **values)
                assert kept(endpoint, **values).startswith(f"{root}/")
    assert kept.cache_info().hits >= 2 * (len(CALLS) - 1)


def test_what_is_left_to_flask(app):
    kept = app.jinja_env.globals["url_for"]
    with app.test_request_context("/mailboxes/"):
        assert kept("mailboxes.index", _external=True) == "http://localhost/mailboxes/"
        assert kept("mailboxes.index", _anchor="x") == "/mailboxes/#x"
        assert kept(".index") == "/mailboxes/"  # relative to the request's blueprint
    with app.test_request_context("/renewals/1/contracts"):
        assert kept(".contracts", order_id=2) == "/renewals/2/contracts"
    with app.app_context():  # no request: Flask builds it (SERVER_NAME unset: an error)
        with pytest.raises(RuntimeError):
            kept("mailboxes.index")


def test_templates_use_it(app):
    with app.test_request_context("/"):
        html = render_template_string("{{ url_for('renewal.contracts', order_id=3) }}")
    assert html == "/renewals/3/contracts"
    assert app.jinja_env.globals["url_for"].cache_info().currsize >= 1


def test_not_installed_when_a_url_depends_on_more_than_its_values(app):
    app.url_default_functions.setdefault(None, []).append(lambda endpoint, values: None)
    before = app.jinja_env.globals["url_for"] = app.url_for
    template_urls.install(app)
    assert app.jinja_env.globals["url_for"] is before
