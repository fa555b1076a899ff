"""The operators' area under /operators: sign-in, the dashboard and the audit log.

Each other screen family (documents, mailboxes, money, orders, outbox, roster, settings,
statements) is a blueprint of its own, nested in this one below, so its endpoints read
`operators.<family>.<view>` and the area's 403 page and template context reach them.
"""

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from pec.auth.views import LOGIN_LIMITS, PER_IDENTIFIER_LIMIT
from pec.domain import clock, job_overview, order_admin, two_factor
from pec.domain.document_review import review_queue
from pec.domain.operators import authenticate, dashboard_counts, paginate, record_login
from pec.extensions import limiter
from pec.input_limits import arg_date, parse_id
from pec.models import AuditEvent, Operator
from pec.operators import (
    access_views,
    audit_words,
    document_views,
    job_words,
    labels,
    mailbox_views,
    member_access_views,
    member_views,
    messages,
    money_views,
    order_views,
    outbox_views,
    profile_views,
    report_views,
    roster_views,
    settings_views,
    staff_views,
    statement_views,
)
from pec.operators import session as operator_session
from pec.operators.forms import CONTRACT_LABELS, LoginForm
from pec.operators.session import current_operator, operator_required
from pec.rendering import render_page

bp = Blueprint("operators", __name__, url_prefix="/operators")
for family in (
    access_views,
    document_views,
    mailbox_views,
    member_access_views,
    member_views,
    money_views,
    order_views,
    outbox_views,
    profile_views,
    report_views,
    roster_views,
    settings_views,
    staff_views,
    statement_views,
):
    bp.register_blueprint(family.bp)


@bp.errorhandler(403)
def _forbidden(error):
    return render_template("operators/forbidden.html"), 403


@bp.context_processor
def _context():
    return {
        "signed_operator": current_operator(),
        "order_status_labels": labels.ORDER_STATUS_LABELS,
        "payment_status_labels": labels.PAYMENT_STATUS_LABELS,
        "outbox_status_labels": labels.OUTBOX_STATUS_LABELS,
        "document_status_labels": labels.DOCUMENT_STATUS_LABELS,
        "job_status_labels": labels.JOB_STATUS_LABELS,
        "role_labels": labels.ROLE_LABELS,
        "job_labels": labels.JOB_LABELS,
        "email_kinds": labels.EMAIL_KINDS,
        "contract_labels": CONTRACT_LABELS,
        "job_schedules": labels.JOB_SCHEDULES,
        "counts_in_words": job_words.counts_in_words,
        "flag_reasons": messages.FLAG_REASONS,
    }


def _email_key() -> str:
    return "operator:" + (request.form.get("email") or "").strip().lower()


def safe_next() -> str:
    target = request.values.get("next") or ""
    if target.startswith("/operators/") and "\\" not in target and "//" not in target:
        return target
    return url_for("operators.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMITS, methods=["POST"])
@limiter.limit(PER_IDENTIFIER_LIMIT, methods=["POST"], key_func=_email_key)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        operator = authenticate(form.email.data, form.password.data)
        if operator is not None and operator.has_two_factor:
            operator_session.begin_pending(operator, safe_next())
            return redirect(url_for("operators.access.second_factor"), 303)
        if operator is not None and two_factor.is_required(operator):
            operator_session.begin_pending(operator, safe_next())
            return redirect(url_for("operators.access.enrol"), 303)
        if operator is not None:
            operator_session.begin(operator)
            record_login(operator, ip=request.remote_addr or "")
            return redirect(safe_next(), 303)
        form.password.errors.append(_("E-mail o password non corretti."))
    status = 422 if form.errors else 200
    return render_page(
        "operators/login.html", status=status, form=form, next=request.values.get("next", "")
    )


@bp.post("/logout")
def logout():
    operator_session.end()
    flash(_("Sei uscito dall'area operatori."), "info")
    return redirect(url_for("operators.login"), 303)


@bp.get("/")
@operator_required()
def dashboard():
    """The mailboxes by status, what needs someone now, and the jobs' health."""
    to_do = {
        view: order_admin.search_orders(order_admin.OrderFilters(view=view)).count()
        for view in (
            order_admin.VIEW_REPORTED,
            order_admin.VIEW_PARTIAL,
            order_admin.VIEW_TO_REFUND,
        )
    }
    now = dt.datetime.now(dt.UTC)  # the jobs' stamps are real time (pec.domain.job_runs)
    return render_page(
        "operators/dashboard.html",
        counts=dashboard_counts(clock.today()),
        to_do=to_do,
        documents=review_queue().count(),
        daily_jobs=job_overview.daily_jobs(now, per_job=1),
        delivery=job_overview.outbox_delivery(now),
    )


def _who_condition(who: str):
    if who == "members":
        return AuditEvent.actor.startswith("member:")
    if who == "system":
        return ~(AuditEvent.actor.startswith("member:") | AuditEvent.actor.startswith("operator:"))
    return AuditEvent.actor == f"operator:{parse_id(who)}"


@bp.get("/audit")
@operator_required()
def audit_log():
    """Every operator action (and the members' and the system's), in words, filterable
    by who, what and when."""
    args = request.args
    query = AuditEvent.select().order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    who = args.get("who", "")
    if who in ("members", "system") or parse_id(who) is not None:
        query = query.where(_who_condition(who))
    kind = args.get("kind", "")
    if kind in audit_words.KINDS:
        query = query.where(audit_words.kind_condition(kind))
    if args.get("target_type") in ("Order", "Mailbox", "Account", "Operator"):
        query = query.where(AuditEvent.target_type == args["target_type"])
        if (target_id := parse_id(args.get("target_id"))) is not None:
            query = query.where(AuditEvent.target_id == target_id)
    if day_from := arg_date("from"):
        query = query.where(AuditEvent.at >= clock.start_of_day(day_from))
    if day_to := arg_date("to"):
        query = query.where(AuditEvent.at < clock.start_of_day(day_to + dt.timedelta(days=1)))
    page = paginate(query, request.args.get("page", 1, type=int))
    return render_page(
        "operators/audit.html",
        block="results",
        page=page,
        entries=audit_words.entries(page.items),
        kinds={key: label for key, (label, _actions) in audit_words.KINDS.items()},
        operators=list(Operator.select().order_by(Operator.name, Operator.email)),
    )
