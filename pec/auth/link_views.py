"""Personal links (R11): the first request trades the link for a session scoped like a
PEC-address login and moves to a clean address, so the token never stays in the address
bar, the history or a Referer. An invalid link moves to a page that says why and how to
get a new one."""

from flask import Blueprint, redirect, request, url_for

from pec.auth import session as member_session
from pec.auth.forms import RecoverForm
from pec.auth.safety import local_path
from pec.domain import access_links, clock
from pec.links import read_renewal_link
from pec.models import Mailbox
from pec.rendering import render_page
from pec.renewal.views import open_renewal

bp = Blueprint("links", __name__, url_prefix="/links")


def _without_referrer(response):
    # Neither the address with the token nor the page that held it (a webmail) is sent on.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/<token>")
def open(token: str):
    """Open the mailbox's renewal (Riepilogo servizio, or its open order), or the page of
    the member's named by `next` (a payment, a receipt), without a password."""
    found = read_renewal_link(token)
    principal = access_links.link_principal(*found, clock.today()) if found else None
    if principal is None:
        return _without_referrer(redirect(url_for(".invalid"), 303))
    current = member_session.current_principal()
    covered = current is not None and current.mailboxes().where(Mailbox.id == principal.id).exists()
    if not covered:  # already signed in for this mailbox (e.g. the account): keep that
        member_session.begin(principal, link_epoch=found[1])
        current = principal
    target = local_path(request.args.get("next"))
    if target:
        return _without_referrer(redirect(target, 303))
    mailbox = Mailbox.get_by_id(principal.id)
    return _without_referrer(open_renewal(current, mailbox))


@bp.get("/expired")
def invalid():
    """The link no longer works: why, and a new one by e-mail (same answer for anyone)."""
    return render_page("auth/link_invalid.html", form=RecoverForm(formdata=None))
