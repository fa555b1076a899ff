"""I miei ordini (member journey 12): every order this login may see, with its status,
amounts, payments, receipt and invoices. The one visibility rule is pec.domain.access."""

from flask import Blueprint

from pec.auth.session import current_principal, member_required
from pec.domain.access import visible_orders
from pec.domain.order_history import histories
from pec.labels import ORDER_STATUS_LABELS, PAYMENT_STATUS_LABELS
from pec.rendering import render_page

bp = Blueprint("orders", __name__, url_prefix="/orders")


@bp.get("/")
@member_required
def index():
    return render_page(
        "orders/index.html",
        histories=histories(visible_orders(current_principal())),
        order_status_labels=ORDER_STATUS_LABELS,
        payment_status_labels=PAYMENT_STATUS_LABELS,
    )
