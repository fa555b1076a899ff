"""The operators' blueprint, mounted under /operators (SPEC §3)."""

from flask import Blueprint, render_template

from pec.domain.clock import ROME

bp = Blueprint("operators", __name__, url_prefix="/operators")


@bp.errorhandler(403)
def _forbidden(error):
    return render_template("operators/forbidden.html"), 403


@bp.context_processor
def _context():
    from pec.operators import labels, messages
    from pec.operators.session import current_operator

    return {
        "signed_operator": current_operator(),
        "order_status_labels": labels.ORDER_STATUS_LABELS,
        "payment_status_labels": labels.PAYMENT_STATUS_LABELS,
        "outbox_status_labels": labels.OUTBOX_STATUS_LABELS,
        "document_status_labels": labels.DOCUMENT_STATUS_LABELS,
        "job_status_labels": labels.JOB_STATUS_LABELS,
        "flag_reasons": messages.FLAG_REASONS,
    }


@bp.app_template_filter("rome_time")
def rome_time(value) -> str:
    """An instant as GG/MM/AAAA HH:MM in Rome."""
    return value.astimezone(ROME).strftime("%d/%m/%Y %H:%M") if value else ""
