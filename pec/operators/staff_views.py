"""Operator accounts, for admins: the list, invitations (an e-mailed link to choose a
password), names and roles, disabling, password and two-factor resets. The portal never
loses its last active admin (pec.domain.operator_accounts.LastAdmin)."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from peewee import fn

from pec.domain import clock, operator_accounts, two_factor
from pec.domain.billing import normal_email
from pec.models import AuditEvent, Operator
from pec.operators.forms import InviteForm, OperatorEditForm
from pec.operators.mail import OperatorMail
from pec.operators.session import current_operator, operator_required
from pec.rendering import render_page
from pec.vocabulary import Role

bp = Blueprint("staff", __name__)


def _operator(operator_id: int) -> Operator:
    return Operator.get_or_none(Operator.id == operator_id) or abort(404)


def _last_sign_ins() -> dict:
    """operator id → when they last signed in (from the audit log, one query)."""
    rows = (
        AuditEvent.select(AuditEvent.target_id, fn.MAX(AuditEvent.at).alias("last"))
        .where((AuditEvent.action == "operator.login") & (AuditEvent.target_type == "Operator"))
        .group_by(AuditEvent.target_id)
        .objects()
    )
    return {row.target_id: AuditEvent.at.python_value(row.last) for row in rows}


@bp.get("/staff")
@operator_required(Role.ADMIN)
def staff():
    operators = list(
        Operator.select().order_by(Operator.is_active.desc(), Operator.name, Operator.email)
    )
    return render_page("operators/staff.html", operators=operators, last_sign_ins=_last_sign_ins())


@bp.route("/staff/invite", methods=["GET", "POST"])
@operator_required(Role.ADMIN)
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        email = normal_email(form.email.data)
        if email is None:
            form.email.errors.append(_("E-mail non valida."))
        else:
            try:
                operator = operator_accounts.invite(
                    form.name.data,
                    email,
                    Role(form.role.data),
                    by=current_operator(),
                    now=clock.now(),
                    messages=OperatorMail(),
                    ip=request.remote_addr or "",
                )
            except operator_accounts.OperatorExists:
                form.email.errors.append(_("Esiste già un operatore con questa e-mail."))
            else:
                flash(
                    _(
                        "Invito inviato a %(email)s: il link per scegliere la password vale 3 giorni.",
                        email=operator.email,
                    ),
                    "success",
                )
                return redirect(url_for("operators.staff.operator", operator_id=operator.id), 303)
    return render_page("operators/staff_invite.html", status=422 if form.errors else 200, form=form)


def _operator_page(target: Operator, form=None, status=200):
    form = form or OperatorEditForm(formdata=None, obj=target)
    return render_page(
        "operators/staff_operator.html",
        status=status,
        target=target,
        form=form,
        actions=FlaskForm(),
        is_self=target.id == current_operator().id,
        last_sign_in=_last_sign_ins().get(target.id),
    )


@bp.route("/staff/<int:operator_id>", methods=["GET", "POST"])
@operator_required(Role.ADMIN)
def operator(operator_id: int):
    target = _operator(operator_id)
    if request.method == "GET":
        return _operator_page(target)
    form = OperatorEditForm()
    if form.validate_on_submit():
        try:
            changed = operator_accounts.update(
                target,
                name=form.name.data,
                role=Role(form.role.data),
                by=current_operator(),
                ip=request.remote_addr or "",
            )
        except operator_accounts.LastAdmin:
            form.role.errors.append(
                _("È l'unico amministratore attivo: nomina prima un altro amministratore.")
            )
        else:
            flash(_("Account aggiornato.") if changed else _("Nessuna modifica."), "info")
            return redirect(url_for("operators.staff.operator", operator_id=target.id), 303)
    return _operator_page(target, form, status=422)


def _back(target: Operator):
    return redirect(url_for("operators.staff.operator", operator_id=target.id), 303)


@bp.post("/staff/<int:operator_id>/active")
@operator_required(Role.ADMIN)
def set_active(operator_id: int):
    target = _operator(operator_id)
    active = request.form.get("active") == "1"
    try:
        changed = operator_accounts.set_active(
            target, active, by=current_operator(), ip=request.remote_addr or ""
        )
    except operator_accounts.LastAdmin:
        flash(
            _(
                "È l'unico amministratore attivo: non si può disattivare. Nomina prima un altro amministratore."
            ),
            "error",
        )
        return _back(target)
    if changed and active:
        flash(_("Account riattivato."), "info")
    elif changed:
        flash(_("Account disattivato: le sue sessioni sono chiuse."), "info")
    if changed and not active and target.id == current_operator().id:
        return redirect(url_for("operators.login"), 303)
    return _back(target)


@bp.post("/staff/<int:operator_id>/reset-password")
@operator_required(Role.ADMIN)
def reset_password(operator_id: int):
    target = _operator(operator_id)
    operator_accounts.reset_password(
        target,
        by=current_operator(),
        now=clock.now(),
        messages=OperatorMail(),
        ip=request.remote_addr or "",
    )
    flash(
        _(
            "Password azzerata: %(email)s riceve un link per sceglierne una nuova.",
            email=target.email,
        ),
        "info",
    )
    if target.id == current_operator().id:
        return redirect(url_for("operators.login"), 303)
    return _back(target)


@bp.post("/staff/<int:operator_id>/reset-two-factor")
@operator_required(Role.ADMIN)
def reset_two_factor(operator_id: int):
    target = _operator(operator_id)
    if two_factor.reset(target, by=current_operator(), ip=request.remote_addr or ""):
        flash(
            _("App di autenticazione rimossa: al prossimo accesso ne registrerà una nuova."),
            "info",
        )
    else:
        flash(_("Questo operatore non usa la verifica in due passaggi."), "info")
    if target.id == current_operator().id:
        return redirect(url_for("operators.login"), 303)
    return _back(target)
