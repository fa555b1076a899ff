"""`url_for` in templates, each URL built once per worker (issue 16).

Building a URL through Flask takes some 9 µs (the endpoint resolved, URL defaults
injected, Werkzeug's rule built and quoted), and a page builds 7 to 16 of them: the
wizard's step links, a form's action, a list's row links. The same URLs come back on
every request (a step's links for an order, the pages of a list), and what Flask builds
for a link within the site depends only on the endpoint, its values and the site's
root (SCRIPT_NAME) in front: so each is kept under those, and Flask's own `url_for`
builds it the first time.

Left to Flask every time: an endpoint relative to the blueprint (".index"), any of
`_external`, `_scheme`, `_anchor`, `_method`, a value that cannot be a key (a list of
query values), and a call outside a request (an e-mail built by a job). An application
with URL defaults or value preprocessors would have more in a URL than its values: this
one has none, and `install` refuses to keep URLs if it ever does.
"""

from functools import lru_cache

from flask import Flask, has_request_context, request

# Distinct links kept per worker: a member's pages link a few dozen (the steps of an
# order, the rows of a list page), so this holds those of many members at once.
KEPT = 4096


def install(app: Flask) -> None:
    """Make templates' `url_for` the kept one; after the blueprints are registered (a
    blueprint's URL defaults become the application's then)."""
    if any(app.url_default_functions.values()) or any(app.url_value_preprocessors.values()):
        return  # a URL would depend on more than its values
    app.jinja_env.globals["url_for"] = _kept(app.url_for)


def _kept(build):
    @lru_cache(maxsize=KEPT)
    def built(script_root: str, endpoint: str, values: tuple) -> str:
        return build(endpoint, **{name: value for name, _type, value in values})

    def url_for(endpoint: str, **values) -> str:
        if endpoint[:1] == "." or not has_request_context() or any(n[:1] == "_" for n in values):
            return build(endpoint, **values)
        # The type is part of the key: 1 and True are equal keys, but not the same link.
        key = tuple((name, type(value), value) for name, value in values.items())
        try:
            return built(request.script_root, endpoint, key)
        except TypeError:  # a value that is no key (unhashable): built every time
            return build(endpoint, **values)

    url_for.cache_info = built.cache_info
    return url_for
