"""Roster import (upload → dry run with every bad line → confirm) and export, and the
domicilio-digitale list for the Order's secretariat (docs/rules.md, Operators).

The uploaded file waits server-side under PEC_ROSTER_DIR between preview and confirm
(never in hidden fields); uploads left there for a day are removed.
"""

import csv
import io
from pathlib import Path

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from pec.domain import clock, roster
from pec.domain.csv_files import guard_cell
from pec.domain.mailboxes import mailbox_views
from pec.domain.operators import domicilio_query, paginate
from pec.labels import STATUS_LABELS
from pec.models import Mailbox
from pec.operators.forms import UploadForm
from pec.operators.messages import file_error_text, problem_text, repaired_text
from pec.operators.session import actor, current_operator, operator_required
from pec.operators.uploads import UploadStore
from pec.rendering import render_page

bp = Blueprint("roster", __name__)

UPLOAD_LIFETIME_SECONDS = 24 * 3600
_uploads = UploadStore(
    lambda: Path(current_app.config["PEC_ROSTER_DIR"]), ".csv", UPLOAD_LIFETIME_SECONDS
)


@bp.route("/roster", methods=["GET", "POST"])
@operator_required()
def roster_upload():
    form = UploadForm()
    error = None
    if form.validate_on_submit():
        upload = request.files.get("roster")
        data = upload.read() if upload is not None and upload.filename else b""
        if not data:
            error = _("Scegli il file CSV da importare.")
        else:
            meta = {"filename": upload.filename[:200], "operator": current_operator().id}
            token = _uploads.save(data, meta)
            return redirect(url_for("operators.roster.roster_preview", token=token), 303)
    status = 422 if error or form.errors else 200
    return render_page(
        "operators/roster.html", status=status, form=form, error=error, columns=roster.COLUMNS
    )


@bp.get("/roster/imports/<token>")
@operator_required()
def roster_preview(token: str):
    """The dry run: what would change, and every bad line with its reason."""
    data, meta = _uploads.load(token)
    try:
        report = roster.dry_run(data)
    except roster.RosterFileError as error:
        _uploads.discard(token)
        return render_page(
            "operators/roster_report.html", status=422, file_error=file_error_text(error), meta=meta
        )
    return render_page(
        "operators/roster_report.html",
        report=report,
        meta=meta,
        token=token,
        problem_text=problem_text,
        repaired_text=repaired_text,
        form=UploadForm(),
    )


@bp.post("/roster/imports/<token>/apply")
@operator_required()
def roster_apply(token: str):
    """Import the good lines; the bad ones are listed again, nothing valid is lost."""
    data, meta = _uploads.load(token)
    try:
        report = roster.apply(
            data, actor=actor(), filename=meta.get("filename", ""), ip=request.remote_addr
        )
    except roster.RosterFileError as error:
        _uploads.discard(token)
        return render_page(
            "operators/roster_report.html", status=422, file_error=file_error_text(error), meta=meta
        )
    _uploads.discard(token)
    flash(_("Import eseguito."), "info")
    return render_page(
        "operators/roster_report.html",
        report=report,
        meta=meta,
        problem_text=problem_text,
        repaired_text=repaired_text,
    )


@bp.get("/roster/export.csv")
@operator_required()
def roster_export():
    """Every mailbox with its holder, in the import format (round trip: no change)."""
    filename = f"elenco-iscritti-{clock.today().isoformat()}.csv"
    return Response(
        roster.export_roster(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/domicilio")
@operator_required()
def domicilio():
    today = clock.today()
    page = paginate(domicilio_query(today), request.args.get("page", 1, type=int))
    ids = [box.id for box in page.items]
    views = mailbox_views(Mailbox.select().where(Mailbox.id.in_(ids)), today) if ids else []
    return render_page("operators/domicilio.html", block="results", page=page, views=views)


DOMICILIO_COLUMNS = (
    "pec_address",
    "status",
    "expires_on",
    "holder",
    "fiscal_code",
    "reference_email",
    "phone",
    "convention_code",
)


@bp.get("/domicilio.csv")
@operator_required()
def domicilio_export():
    """The list for the secretariat, in Excel's CSV (UTF-8 with BOM, `;`)."""
    today = clock.today()
    views = mailbox_views(
        Mailbox.select().where(Mailbox.id.in_(domicilio_query(today).select(Mailbox.id))), today
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(DOMICILIO_COLUMNS)
    for view in views:
        account = view.mailbox.account
        writer.writerow(
            guard_cell(cell)
            for cell in [
                view.mailbox.address,
                str(STATUS_LABELS[view.status]),
                view.mailbox.expires_on.strftime("%d/%m/%Y"),
                account.display_name,
                account.fiscal_code,
                account.reference_email,
                account.phone,
                account.convention.code,
            ]
        )
    filename = f"domicilio-digitale-{today.isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
