"""The single page-or-fragment rule.

A page template may name a block that htmx swaps on its own (the wizard's `panel`). The
same URL then answers two ways: the full page to a plain request, and only that block to
an htmx request aimed at it. A history restore is answered with the full page even when
it comes from htmx (htmx puts the answer in place of the whole body), and every answer
says it varies on the two headers that decide, so no cache mixes them up.
"""

from flask import make_response, render_template, request
from jinja2_fragments import BlockNotFoundError
from jinja2_fragments.flask import render_block

from pec.extensions import htmx


def wants_fragment(block: str) -> bool:
    """An htmx request aimed at `block`, and not a history restore (which needs a page)."""
    return bool(htmx) and not htmx.history_restore_request and htmx.target == block


def render_page(template: str, block: str | None = None, status: int = 200, **context):
    """The full page, or only `block` for an htmx swap of that block.

    A fragment answering a POST is the same step again (a refused form, a notice): it
    keeps the address bar as it is, or a boosted form would push its own URL a second
    time. A view that moves on sets HX-Push-Url to the next step itself.
    """
    fragment = block is not None and wants_fragment(block)
    body = None
    if fragment:
        try:
            body = render_block(template, block, **context)
        except BlockNotFoundError:
            # A page without that block (a login page reached by a redirect an htmx
            # request followed): the whole page, never a 500.
            fragment = False
    if body is None:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    if fragment and request.method == "POST":
        response.headers["HX-Push-Url"] = "false"
    return response
