"""Who is selling and how to get help, on every member page (docs/rules.md, member
journey 13): the convention's name and logo in the header, the seller's identity,
contacts, privacy notice and help page in the footer."""

import functools

from flask import Blueprint, abort, g, has_request_context, make_response, request
from flask_babel import get_babel
from markupsafe import Markup, escape
from werkzeug.local import LocalProxy

from pec.auth.session import current_principal
from pec.database import Prepared
from pec.domain import seller, transfers
from pec.domain.accounts import CONVENTION_WITHOUT_LOGO
from pec.domain.balance import missing_cents
from pec.extensions import htmx
from pec.labels import registration_delay
from pec.models import ContractDocument, Convention
from pec.page_cache import shared_part
from pec.rendering import render_page

bp = Blueprint("pages", __name__)
# base.html's header, footer and words for app.js, kept per page_key.
bp.add_app_template_global(shared_part)

# A visitor not signed in sees the portal's first convention (a portal normally serves one).
_FIRST_CONVENTION = Prepared(
    lambda: Convention.select(*CONVENTION_WITHOUT_LOGO).order_by(Convention.id).limit(1)
)
YEAR = 365 * 24 * 3600


def current_brand() -> Convention | None:
    """The convention this visitor belongs to: the signed-in member's, else the
    portal's first one (a portal normally serves one). None in the operators' area,
    which shows no seller footer, and before any convention exists."""
    if "brand" in g:
        return g.brand
    g.brand = None
    if (request.blueprint or "").startswith("operators"):
        return None
    principal = current_principal()
    account = principal.account() if principal is not None else None
    # A member's convention came with the session check (pec.auth.session).
    g.brand = account.convention if account is not None else _FIRST_CONVENTION.first()
    return g.brand


@bp.app_context_processor
def _brand():
    """`brand` for every page. A whole page shows it (header and footer: some thirty
    uses, each of which would look it up again through a proxy), so it is read once; an
    htmx panel does not, and gets it only if a template asks (no query otherwise)."""
    if not has_request_context():  # e-mails name their convention themselves
        return {}
    return {"brand": LocalProxy(current_brand) if htmx else current_brand()}


@bp.app_template_global()
def page_key(brand: Convention | None) -> tuple:
    """Everything a page part that every visitor of the convention sees alike shows or
    links to (the header, the footer, the login page: pec.page_cache): the convention's
    stored values themselves, so an operator's edit is a new key at once in every worker
    (nothing to invalidate); the language, as Flask-Babel's locale selector answers it
    before Babel parses it into the page's locale; and the site's root, which url_for()
    puts in front of every link. A tuple: nothing to format or parse on each request."""
    selector = get_babel().locale_selector
    values = tuple(brand.__data__.items()) if brand else None  # (an htmx panel: a proxy)
    return (selector() if selector else None, request.script_root, values)


# Pagers kept: a list's pages in a language (members' lists have few pages each).
PAGERS_KEPT = 256


@bp.app_template_global()
def pager(page) -> Markup:
    """The links to the other pages of this request's list (_pager.html, for a domain
    Page), kept (pec.page_cache.shared_part) per language and site root, list (its
    endpoint and query) and page: all that the links show or point to. Rendering them
    took an eighth of Gestione PEC's template: a URL, a dict and a translated word per
    link."""
    if page.pages <= 1:
        return Markup("")
    where = (request.endpoint, tuple(request.args.items(multi=True)))
    key = (page_key(None), where, page.number, page.pages)
    return shared_part("_pager.html", key, PAGERS_KEPT, page=page)


@bp.app_template_filter("address")
def breakable_address(address: str) -> Markup:
    """A PEC or e-mail address that may wrap after its "@" and nowhere else it need not."""
    return _breakable(str(address or ""))


@functools.lru_cache(maxsize=2048)
def _breakable(address: str) -> Markup:
    # Gestione PEC shows 25 addresses a page, the same ones on every visit: escaping and
    # joining the parts cost some 5 µs each time.
    local, at, domain = address.partition("@")
    return escape(local) + (Markup("@<wbr>") if at else "") + escape(domain)


@bp.app_template_filter("paragraphs")
def paragraphs(text: str, separator: str = "") -> Markup:
    """A contract's or notice's plain text (as stored) as HTML paragraphs, one per
    non-blank line, the text escaped; `separator` (text, escaped too) between them."""
    return _paragraphs(str(text or ""), separator)


@functools.lru_cache(maxsize=64)
def _paragraphs(text: str, separator: str) -> Markup:
    # The same few documents are shown on every contracts step: a loop in the template
    # cost some 2 µs a paragraph each time.
    return escape(separator).join(
        Markup("<p>%s</p>") % line for line in text.split("\n") if line.strip()
    )


@bp.app_template_global()
def transfer_qr(order, convention, amount_cents: int, title: str) -> Markup:
    """The EPC QR code paying `amount_cents` of the order, as inline SVG (no request, no
    script), or "" when the convention has no IBAN; `title` names it for screen readers."""
    facts = transfers.transfer_facts(order, convention, amount_cents)
    if facts is None:
        return Markup("")
    return _qr_svg(facts, str(title))


@functools.lru_cache(maxsize=256)
def _qr_svg(facts: transfers.TransferFacts, title: str) -> Markup:
    # Encoding a QR code takes ~20 ms of pure Python: the page of an order awaiting its
    # transfer is shown again and again with the same facts (title: its language).
    svg = transfers.epc_qr(facts).svg_inline(scale=1, border=4, omitsize=True, title=title)
    return Markup(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))


bp.add_app_template_global(registration_delay, "registration_delay")
bp.add_app_template_global(missing_cents, "amount_to_pay")
bp.add_app_template_global(seller.seller_line, "seller_line")
bp.add_app_template_filter(transfers.grouped_iban, "iban")
bp.add_app_template_global(transfers.causale, "causale")


@bp.get("/help")
def help_page():
    """Aiuto: first access, a forgotten login, a payment still shown as awaiting,
    changing the reference e-mail, what the identity document is for."""
    return render_page("pages/help.html", convention=current_brand())


@bp.get("/privacy")
def privacy():
    """The convention's current privacy notice, with its controller and DPO."""
    convention = current_brand()
    notice = (
        ContractDocument.current_for(convention).where(ContractDocument.code == "privacy").first()
        if convention
        else None
    )
    return render_page("pages/privacy.html", convention=convention, notice=notice)


@bp.get("/logo/<sha256>")
def logo(sha256: str):
    """The convention's logo; its URL names its content's hash, so it is cached a year."""
    row = Convention.get_or_none(Convention.logo_sha256 == sha256)
    if row is None or not sha256 or row.logo is None:
        abort(404)
    response = make_response(bytes(row.logo))
    response.mimetype = row.logo_type
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response
