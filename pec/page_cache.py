"""Pages and page parts every visitor sees alike, kept rendered (issue 16).

The login page is what every member asks for first, and what bots ask for most. Its
HTML depends only on the convention shown, the language and the site's root (all of
them in pec.pages.views.page_key) and on the visitor's CSRF token, which is each
visitor's own (pec.signing). So it is rendered once per key with a placeholder where the
token goes, kept in this worker, and every answer is that HTML with the visitor's own
token in the placeholder's place: byte for byte the page a fresh rendering would give.

A view asks for this only when nothing else of the request shows on the page: a GET (the
language switch links back to a GET's own address), no query string, no flashed message.
The parts of every page that show only the convention, in the page's language (the
header's name and logo, the footer, the words for static/app.js) are kept the same way,
per part and key (`shared_part`), for base.html: a dictionary look-up instead of a
rendering, or of a general-purpose cache's key building, lock and unpickling (some
100 µs a page for three parts).

Nothing is kept while templates are reloaded from disk (the development server), so an
edited template shows at once.
"""

import secrets
from collections.abc import Callable

from flask import Response, current_app, g, render_template
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from pec.sessions import csrf_field

# Letters and digits only, so Jinja writes it out as it is, as it does a real token (a
# signed token is URL-safe base64 and dots). Random per worker: no page can contain it.
PLACEHOLDER = "csrfplaceholder" + secrets.token_hex(16)
# Keys kept per page or part: one per language and convention, and an operator's edit of
# the convention makes a new one (its old HTML is never asked for again).
KEPT = 16


def shared_page(name: str, key, render: Callable[[], Response]) -> Response:
    """The page `name` for `key`: rendered by `render()` the first time (a 200 of HTML
    with the placeholder for the token), afterwards the kept HTML, with this request's
    token either way. The answer's Vary is the rendered one's."""
    pages = _kept("pec.page_cache", name)
    if pages is None:
        return render()
    kept = pages.get(key)
    if kept is None:
        response = _render_with_placeholder(render)
        html = response.get_data(as_text=True)
        if response.status_code != 200:  # not a page to keep; still the visitor's token
            response.set_data(html.replace(PLACEHOLDER, generate_csrf()))
            return response
        kept = _keep(pages, key, (html, tuple(response.vary)))
    html, vary = kept
    # The token is looked up only now: it starts the visitor's session if it is new.
    response = Response(html.replace(PLACEHOLDER, generate_csrf()), mimetype="text/html")
    response.vary.update(vary)
    return response


def shared_part(template: str, key, keys: int = KEPT, **context) -> Markup:
    """The HTML of `template` rendered with `context` for `key`, which must stand for
    everything the part shows (pec.pages.views.page_key): rendered the first time,
    afterwards the kept HTML. At most `keys` keys are kept for the template."""
    parts = _kept("pec.page_parts", template)
    if parts is None:
        return Markup(render_template(template, **context))
    html = parts.get(key)
    if html is None:
        html = _keep(parts, key, Markup(render_template(template, **context)), keys)
    return html


def _kept(kind: str, name: str) -> dict | None:
    """What this worker keeps of `kind` ("pec.page_cache": pages, "pec.page_parts":
    parts) for `name`, by key; None while templates are reloaded from disk (the
    development server), so that an edited template shows at once."""
    if current_app.jinja_env.auto_reload:
        return None
    return current_app.extensions.setdefault(kind, {}).setdefault(name, {})


def _keep(kept: dict, key, value, keys: int = KEPT):
    """`value` kept under `key`, at most `keys` keys: past that the old ones go."""
    if len(kept) >= keys:
        kept.clear()
    kept[key] = value
    return value


def _render_with_placeholder(render: Callable[[], Response]) -> Response:
    # Flask-WTF takes the request's token from `g` once it is there (flask_wtf.csrf.
    # generate_csrf), so every field and meta tag the page renders gets the placeholder.
    field = csrf_field()
    setattr(g, field, PLACEHOLDER)
    try:
        return render()
    finally:
        g.pop(field, None)
