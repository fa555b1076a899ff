"""Bank statement import (docs/rules.md, Operators): upload → preview (what would be registered, what
not, and why) → confirm; then the lines left over are matched to orders by hand.

The file waits server-side (PEC_STATEMENT_DIR, else next to the roster uploads) under
a random token, never in hidden fields; it stays there for manual matching after the
import and is removed after STATEMENT_LIFETIME_SECONDS.
"""

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from pec.config import statement_columns
from pec.domain import clock, statements
from pec.domain.statements.suggestions import suggest
from pec.member_mail import MemberMail
from pec.operators.forms import MatchLineForm, StatementUploadForm
from pec.operators.messages import (
    STATEMENT_FORMATS,
    STATEMENT_REASONS,
    outcome_text,
    repaired_text,
    statement_file_error_text,
    statement_problem_text,
)
from pec.operators.session import actor, current_operator, operator_required
from pec.operators.uploads import UploadStore
from pec.rendering import render_page

bp = Blueprint("statements", __name__)

STATEMENT_LIFETIME_SECONDS = 7 * 24 * 3600


def _statement_folder() -> Path:
    configured = current_app.config.get("PEC_STATEMENT_DIR")
    return Path(configured or Path(current_app.config["PEC_ROSTER_DIR"]).parent / "statements")


_uploads = UploadStore(_statement_folder, ".dat", STATEMENT_LIFETIME_SECONDS)


def _parse(token: str):
    data, meta = _uploads.load(token)
    return statements.parse(data, statement_columns(current_app.config)), meta


@bp.route("/statements", methods=["GET", "POST"])
@operator_required()
def statements_upload():
    form = StatementUploadForm()
    error = None
    if form.validate_on_submit():
        upload = request.files.get("statement")
        data = upload.read() if upload is not None and upload.filename else b""
        if not data:
            error = _("Scegli il file dell'estratto conto da importare.")
        else:
            meta = {
                "filename": upload.filename[:200],
                "operator": current_operator().id,
                "applied": False,
            }
            token = _uploads.save(data, meta)
            return redirect(url_for("operators.statements.statement", token=token), 303)
    status = 422 if error or form.errors else 200
    return render_page("operators/statements.html", status=status, form=form, error=error)


@bp.get("/statements/<token>")
@operator_required()
def statement(token: str):
    """The preview: every line with what the import would do with it, and why."""
    try:
        parsed, meta = _parse(token)
    except statements.StatementFileError as error:
        meta = _uploads.load(token)[1]
        return render_page(
            "operators/statement_report.html",
            status=422,
            file_error=statement_file_error_text(error),
            meta=meta,
        )
    preview = statements.plan(parsed, clock.today())
    return render_page(
        "operators/statement_report.html",
        preview=preview,
        meta=meta,
        token=token,
        reasons=STATEMENT_REASONS,
        formats=STATEMENT_FORMATS,
        problem_text=statement_problem_text,
        repaired_text=repaired_text,
        form=StatementUploadForm(),
        match_form=MatchLineForm(formdata=None),
        # Open orders each unmatched line may pay, best first (one click applies one).
        suggestions={d.entry.key: suggest(d.entry) for d in preview.of_kind(statements.MANUAL)},
    )


@bp.post("/statements/<token>/apply")
@operator_required()
def statement_apply(token: str):
    """Register the matched lines (wrong amounts are flagged by register_payment)."""
    try:
        parsed, meta = _parse(token)
    except statements.StatementFileError:
        return redirect(url_for("operators.statements.statement", token=token), 303)
    preview = statements.apply(
        parsed,
        today=clock.today(),
        actor=actor(),
        notices=MemberMail(),
        filename=meta.get("filename", ""),
        ip=request.remote_addr or "",
    )
    meta["applied"] = True
    _uploads.save_meta(token, meta)
    outcomes = [d.outcome for d in preview.decisions if d.outcome]
    flash(
        _(
            "Import eseguito: %(applied)d pagamenti registrati, %(flagged)d segnati da "
            "verificare, %(manual)d movimenti da abbinare a mano, %(reconciled)d riconosciuti "
            "come pagamenti già registrati a mano.",
            applied=outcomes.count("applied"),
            reconciled=outcomes.count(statements.RECONCILED),
            flagged=len(outcomes)
            - outcomes.count("applied")
            - outcomes.count(statements.RECONCILED),
            manual=len(preview.of_kind(statements.MANUAL)),
        ),
        "success",
    )
    reversals = preview.of_kind(statements.REVERSAL)
    if reversals:
        flash(
            _(
                "Attenzione: il file contiene %(n)d storni o bonifici restituiti. Sono elencati "
                "nella pagina: verificali.",
                n=len(reversals),
            ),
            "warning",
        )
    return redirect(url_for("operators.statements.statement", token=token), 303)


@bp.post("/statements/<token>/lines/<line>/match")
@operator_required()
def statement_match(token: str, line: str):
    """The operator names the order of a line the import could not match (`line` is the
    entry's key: "12", or "3.2" for a transaction of a batched entry)."""
    try:
        parsed, meta = _parse(token)
    except statements.StatementFileError:
        abort(404)
    preview = statements.plan(parsed, clock.today())
    decision = preview.decision_for(line) or abort(404)
    form = MatchLineForm()
    back = redirect(
        url_for(
            "operators.statements.statement", token=token, _anchor=f"line-{decision.entry.key}"
        ),
        303,
    )
    if decision.kind != statements.MANUAL:
        flash(_("Questo movimento non è da abbinare: nulla è cambiato."), "error")
        return back
    if not form.validate():
        flash(_("Inserisci il numero d'ordine."), "error")
        return back
    order = statements.find_order(form.order_number.data)
    if order is None:
        flash(
            _("Nessun ordine con il numero %(number)s.", number=form.order_number.data.strip()),
            "error",
        )
        return back
    outcome = statements.register_entry(
        decision.entry,
        order,
        today=clock.today(),
        actor=actor(),
        notices=MemberMail(),
        filename=meta.get("filename", ""),
    )
    flash(outcome_text(outcome), "success" if outcome.applied else "error")
    return back
