"""The outbox (every e-mail, its state, attempts and last error) and the scheduled
jobs' runs, with a silent or failing job called out (docs/rules.md, Operators).

Operators retry a failed message (or all of them) and preview what the daily jobs
will send tomorrow.
"""

import datetime as dt

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from pec.domain import clock, job_overview, lifecycle
from pec.domain.operators import paginate
from pec.domain.outbox import retry_by_operator, retry_failed
from pec.models import OutboxMessage
from pec.operators.session import actor, current_operator, operator_required
from pec.rendering import render_page
from pec.vocabulary import OutboxStatus, Role

bp = Blueprint("outbox", __name__)

OUTBOX_STATUSES = (OutboxStatus.PENDING, OutboxStatus.SENT, OutboxStatus.FAILED)


@bp.get("/outbox")
@operator_required()
def outbox():
    query = OutboxMessage.select().order_by(
        OutboxMessage.created_at.desc(), OutboxMessage.id.desc()
    )
    status = request.args.get("status", "")
    if status in OUTBOX_STATUSES:
        query = query.where(OutboxMessage.status == status)
    to = request.args.get("to", "").strip()[:254]
    if to:
        query = query.where(OutboxMessage.to_address.contains(to))
    page = paginate(query, request.args.get("page", 1, type=int))
    return render_page(
        "operators/outbox.html",
        block="results",
        page=page,
        chosen=status,
        to=to,
        statuses=OUTBOX_STATUSES,
        failed=OutboxMessage.select().where(OutboxMessage.status == OutboxStatus.FAILED).count(),
        form=FlaskForm(),
    )


@bp.get("/outbox/<int:message_id>")
@operator_required()
def outbox_message(message_id: int):
    message = OutboxMessage.get_or_none(OutboxMessage.id == message_id) or abort(404)
    # An operator's invitation or reset link would let whoever reads it become that
    # operator (an admin, perhaps): only admins see those e-mails' text.
    hidden = message.kind.startswith("operator_") and current_operator().role != Role.ADMIN
    return render_page(
        "operators/outbox_message.html", message=message, form=FlaskForm(), hidden=hidden
    )


@bp.post("/outbox/<int:message_id>/retry")
@operator_required()
def outbox_retry(message_id: int):
    """Send a failed (or waiting) message again at the next delivery run."""
    message = OutboxMessage.get_or_none(OutboxMessage.id == message_id) or abort(404)
    if retry_by_operator(message, actor=actor(), ip=request.remote_addr or ""):
        flash(_("L'e-mail sarà inviata di nuovo al prossimo giro di invio."), "info")
    else:
        flash(_("L'e-mail è già stata inviata: nulla da ritentare."), "error")
    return redirect(url_for("operators.outbox.outbox_message", message_id=message.id), 303)


@bp.post("/outbox/retry-failed")
@operator_required()
def outbox_retry_failed():
    """Every failed message back in the queue (after an SMTP outage was fixed)."""
    retried = retry_failed(actor=actor(), ip=request.remote_addr or "")
    flash(_("E-mail rimesse in coda: %(n)d.", n=retried), "info")
    return redirect(url_for("operators.outbox.outbox", status=OutboxStatus.PENDING), 303)


@bp.get("/jobs/tomorrow")
@operator_required()
def jobs_preview():
    """What the daily jobs will send and change tomorrow (lifecycle.preview; no writes)."""
    day = clock.today() + dt.timedelta(days=1)
    return render_page("operators/jobs_preview.html", day=day, planned=lifecycle.preview(day))


@bp.get("/jobs")
@operator_required()
def jobs():
    """Each daily job's last runs and result, and outbox delivery summarised."""
    now = dt.datetime.now(dt.UTC)  # the jobs' stamps are real time (pec.domain.job_runs)
    return render_page(
        "operators/jobs.html",
        daily_jobs=job_overview.daily_jobs(now),
        delivery=job_overview.outbox_delivery(now),
    )
