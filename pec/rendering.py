"""The single page-or-fragment rule (STYLE.md, NOTES.md "htmx")."""

from flask import make_response, render_template
from jinja2_fragments.flask import render_block

from pec.extensions import htmx


def wants_fragment(block: str) -> bool:
    """An htmx request aimed at `block`, and not a history restore (which needs a page)."""
    return bool(htmx) and not htmx.history_restore_request and htmx.target == block


def render_page(template: str, block: str = "panel", status: int = 200, **context):
    """The full page for plain requests, only `block` for an htmx swap of that block."""
    if wants_fragment(block):
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response
