"""Gestione PEC: the member's mailboxes and identity document (docs/rules.md, member journey 3)."""

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _

from pec.auth.session import current_principal, member_required
from pec.domain import clock
from pec.domain.access import visible_order_ids
from pec.domain.documents import DocumentError, display_name, document_path, store_document
from pec.domain.mailboxes import member_page, renewals_by_mailbox, search_term
from pec.mailboxes.rows import mailbox_rows
from pec.models import IdentityDocument
from pec.rendering import render_page
from pec.vocabulary import OrderStatus

bp = Blueprint("mailboxes", __name__, url_prefix="/mailboxes")


def _document_errors():
    limit_mb = current_app.config["PEC_MAX_DOCUMENT_BYTES"] // (1024 * 1024)
    return {
        "missing": _("Scegli il file del documento da caricare."),
        "empty": _("Il file è vuoto."),
        "too_large": _("Il file supera i %(mb)d MB consentiti.", mb=limit_mb),
        "type": _("Il file deve essere un PDF, un'immagine JPEG o PNG."),
        "too_many": _(
            "Hai già %(n)d documenti in attesa di verifica: attendi l'esito prima di "
            "caricarne altri.",
            n=current_app.config["PEC_MAX_PENDING_DOCUMENTS"],
        ),
    }


def _page(status=200, document_error=None):
    principal = current_principal()
    account = principal.account()
    today = clock.today()
    search = search_term(request.args.get("q"))
    page = member_page(principal, account, request.args.get("page", 1, type=int), today, search)
    views = page.items
    paid, recent = renewals_by_mailbox([v.mailbox.id for v in views], today)
    open_orders = [v.open_order for v in views if v.open_order is not None]
    # Links to an order only where this login may open it (a PEC-address login does
    # not see an order that also renews another mailbox of the account).
    visible = visible_order_ids(principal, [*open_orders, *paid.values()])
    # Mailboxes that may be ticked into one combined order: renewable, and free or on
    # the member's own draft (which the new order replaces).
    selectable = {
        v.mailbox.id
        for v in views
        if v.is_renewable
        and (
            v.open_order is None
            or (v.open_order.status == OrderStatus.DRAFT and v.open_order.id in visible)
        )
    }
    rows = mailbox_rows(
        views,
        selectable=selectable,
        recent=recent,
        receipts={box_id: order for box_id, order in paid.items() if order.id in visible},
        visible_orders=visible,
    )
    return render_page(
        "mailboxes/index.html",
        status=status,
        principal=principal,
        account=account,
        views=views,
        rows=rows,
        page=page,
        search=search,
        selectable=selectable,
        document=IdentityDocument.latest_for(account),
        document_error=document_error,
    )


@bp.get("/")
@member_required
def index():
    return _page()


@bp.post("/document")
@member_required
def upload_document():
    upload = request.files.get("document")
    if upload is None or not upload.filename:
        return _page(422, _document_errors()["missing"])
    limit = current_app.config["PEC_MAX_DOCUMENT_BYTES"]
    data = upload.stream.read(limit + 1)
    principal = current_principal()
    account = principal.account()
    try:
        store_document(
            account,
            upload.filename,
            data,
            current_app.config["PEC_DOCUMENTS_DIR"],
            limit,
            max_pending=current_app.config["PEC_MAX_PENDING_DOCUMENTS"],
            actor=f"member:{principal.key}",
            ip=request.remote_addr or "",
        )
    except DocumentError as error:
        return _page(422, _document_errors()[error.code])
    flash(_("Documento caricato. Grazie!"), "info")
    return redirect(url_for("mailboxes.index"), 303)


@bp.get("/document/<int:document_id>")
@member_required
def document(document_id: int):
    """The holder's own document, to the account login only; anyone else gets 404."""
    principal = current_principal()
    doc = IdentityDocument.get_or_none(IdentityDocument.id == document_id)
    if (
        doc is None
        or principal.kind != "account"
        or doc.account_id != principal.id
        or doc.purged_at is not None
    ):
        abort(404)
    path = document_path(doc, current_app.config["PEC_DOCUMENTS_DIR"])
    if not path.exists():
        abort(404)
    return send_file(
        path,
        mimetype=doc.content_type,
        as_attachment=True,
        download_name=display_name(doc.original_name),
    )
