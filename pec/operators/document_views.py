"""Identity documents: the verification queue, the file, verify or reject (the reason
is e-mailed to the member)."""

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from pec.domain.document_review import reject_document, review_queue, verify_document
from pec.domain.documents import display_name, document_path
from pec.member_mail import MemberMail
from pec.models import IdentityDocument
from pec.operators.forms import RejectForm
from pec.operators.session import actor, operator_required
from pec.rendering import render_page

bp = Blueprint("documents", __name__)


def _document(document_id: int) -> IdentityDocument:
    return IdentityDocument.get_or_none(IdentityDocument.id == document_id) or abort(404)


@bp.get("/documents")
@operator_required()
def documents():
    return render_page(
        "operators/documents.html",
        queue=list(review_queue()),
        form=FlaskForm(),
        reject_form=RejectForm(),
    )


@bp.get("/documents/<int:document_id>/file")
@operator_required()
def document_file(document_id: int):
    """The file itself, shown in the browser when it can (PDF and images)."""
    document = _document(document_id)
    path = document_path(document, current_app.config["PEC_DOCUMENTS_DIR"])
    if document.purged_at is not None or not path.exists():
        abort(404)
    response = send_file(
        path, mimetype=document.content_type, download_name=display_name(document.original_name)
    )
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.post("/documents/<int:document_id>/verify")
@operator_required()
def verify(document_id: int):
    document = _document(document_id)
    done = verify_document(document, actor=actor(), ip=request.remote_addr)
    if done:
        flash(_("Documento verificato."), "info")
    else:
        flash(_("Su questo documento ha già deciso un altro operatore."), "info")
    return redirect(url_for("operators.documents.documents"), 303)


@bp.route("/documents/<int:document_id>/reject", methods=["GET", "POST"])
@operator_required()
def reject(document_id: int):
    document = _document(document_id)
    form = RejectForm()
    if form.validate_on_submit():
        done = reject_document(
            document,
            form.reason.data,
            actor=actor(),
            notices=MemberMail(),
            ip=request.remote_addr,
        )
        if done:
            flash(_("Documento rifiutato: il motivo è stato inviato all'iscritto."), "info")
        else:
            flash(_("Su questo documento ha già deciso un altro operatore."), "info")
        return redirect(url_for("operators.documents.documents"), 303)
    status = 422 if form.errors else 200
    return render_page(
        "operators/document_reject.html", status=status, form=form, document=document
    )
