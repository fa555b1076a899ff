"""The operators' pages for real screens: their own full-width stylesheet, and the order
page's actions grouped so that one is open at a time, the member told only by choice."""

import re

from pec.models import Mailbox
from tests.factories import make_order


def open_actions(page: str) -> list[str]:
    return re.findall(r'<details name="order-action" open id="action-(\w+)"', page)


def test_operator_pages_are_full_width_with_their_own_stylesheet(operator, demo):
    operator.login()
    page = operator.page("/operators/")
    assert '<body class="operators">' in page and "/static/operators.css?v=" in page
    member_page = operator.client.get("/login").get_data(as_text=True)
    assert "operators.css" not in member_page


def test_the_order_page_opens_one_action_and_never_ticks_the_notice(operator, demo):
    box = Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")
    order = make_order([box], number="K7M4Q9X2")
    operator.login()
    page = operator.page(f"/operators/orders/{order.id}")
    assert page.count('<details name="order-action"') == 2  # register, cancel
    assert open_actions(page) == ["register"]
    notify = re.search(r'<input[^>]*name="notify"[^>]*>', page).group(0)
    assert "checked" not in notify
    refused = operator.post(f"/operators/orders/{order.id}/cancel", {"cancel_reason": "x" * 501})
    assert refused.status_code == 422
    assert open_actions(refused.get_data(as_text=True)) == ["cancel"]
    # Unticked, the cancellation e-mails nobody.
    assert (
        operator.post(
            f"/operators/orders/{order.id}/cancel", {"cancel_reason": "doppio"}
        ).status_code
        == 303
    )
    from pec.models import OutboxMessage

    assert OutboxMessage.select().where(OutboxMessage.kind == "order_cancelled").count() == 0
