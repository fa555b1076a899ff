"""The outbox (every e-mail, its state, attempts and last error) and the scheduled
jobs' runs, with a silent or failing job called out (SPEC §3).

Retrying a failed message and previewing tomorrow's e-mails plug in here once the
delivery and jobs work lands.
"""

from flask import abort, request

from pec.domain import clock
from pec.domain.operators import JOB_SILENCE, job_health, paginate
from pec.models import OUTBOX_FAILED, OUTBOX_PENDING, OUTBOX_SENT, OutboxMessage
from pec.operators.blueprint import bp
from pec.operators.session import operator_required
from pec.rendering import render_page

OUTBOX_STATUSES = (OUTBOX_PENDING, OUTBOX_SENT, OUTBOX_FAILED)


@bp.get("/outbox")
@operator_required()
def outbox():
    query = OutboxMessage.select().order_by(
        OutboxMessage.created_at.desc(), OutboxMessage.id.desc()
    )
    status = request.args.get("status", "")
    if status in OUTBOX_STATUSES:
        query = query.where(OutboxMessage.status == status)
    to = request.args.get("to", "").strip()
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
    )


@bp.get("/outbox/<int:message_id>")
@operator_required()
def outbox_message(message_id: int):
    message = OutboxMessage.get_or_none(OutboxMessage.id == message_id) or abort(404)
    return render_page("operators/outbox_message.html", message=message)


@bp.get("/jobs")
@operator_required()
def jobs():
    return render_page(
        "operators/jobs.html",
        health=job_health(clock.now()),
        silence_hours=int(JOB_SILENCE.total_seconds() // 3600),
    )
