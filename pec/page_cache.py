"""Pages every visitor sees alike but for the CSRF token, kept rendered (issue 16).

The login page is what every member asks for first, and what bots ask for most. Its
HTML depends only on the convention shown, the language and the site's root (all of
them in pec.pages.views.page_key) and on the visitor's CSRF token, which is new and
signed for every answer. So it is rendered once per key with a placeholder where the
token goes, kept in this worker, and every answer is that HTML with the visitor's own
token in the placeholder's place: byte for byte the page a fresh rendering would give.

A view asks for this only when nothing else of the request shows on the page: a GET (the
language switch links back to a GET's own address), no query string, no flashed message.
Nothing is kept while templates are reloaded from disk (the development server), so an
edited template shows at once.
"""

import secrets
from collections.abc import Callable

from flask import Response, current_app, g
from flask_wtf.csrf import generate_csrf

# Letters and digits only, so Jinja writes it out as it is, as it does a real token (a
# signed token is URL-safe base64 and dots). Random per worker: no page can contain it.
PLACEHOLDER = "csrfplaceholder" + secrets.token_hex(16)
# Keys kept per page: one per language and convention, and an operator's edit of the
# convention makes a new one (its old page is never asked for again).
KEPT = 16


def shared_page(name: str, key, render: Callable[[], Response]) -> Response:
    """The page `name` for `key`: rendered by `render()` the first time (a 200 of HTML
    with the placeholder for the token), afterwards the kept HTML, with this request's
    token either way. The answer's Vary is the rendered one's."""
    if current_app.jinja_env.auto_reload:
        return render()
    pages = current_app.extensions.setdefault("pec.page_cache", {}).setdefault(name, {})
    kept = pages.get(key)
    if kept is None:
        response = _render_with_placeholder(render)
        html = response.get_data(as_text=True)
        if response.status_code != 200:  # not a page to keep; still the visitor's token
            response.set_data(html.replace(PLACEHOLDER, generate_csrf()))
            return response
        if len(pages) >= KEPT:
            pages.clear()
        kept = pages[key] = (html, tuple(response.vary))
    html, vary = kept
    # The token is looked up only now: it starts the visitor's session if it is new.
    response = Response(html.replace(PLACEHOLDER, generate_csrf()), mimetype="text/html")
    response.vary.update(vary)
    return response


def _render_with_placeholder(render: Callable[[], Response]) -> Response:
    # Flask-WTF takes the request's token from `g` once it is there (flask_wtf.csrf.
    # generate_csrf), so every field and meta tag the page renders gets the placeholder.
    field = _field_name()
    setattr(g, field, PLACEHOLDER)
    try:
        return render()
    finally:
        g.pop(field, None)


def _field_name() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
