"""Operators register, reject and cancel on an order's page (docs/rules.md, Operators, R3, R5, R10)."""

import datetime as dt
import re

from pec.domain import clock
from pec.domain import payments as pay
from pec.models import (
    AuditEvent,
    Mailbox,
    Order,
    OrderLine,
    OutboxMessage,
    Payment,
)
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import make_order

MARIO_BOX = "mario.rossi@pec.demo.it"


def box(address) -> Mailbox:
    return Mailbox.get(Mailbox.address == address)


def flashes(page: str) -> str:
    found = re.search(r'<div class="flashes" role="status">(.*?)</div>', page, re.S)
    return found.group(1) if found else ""


def register(operator, order, **fields):
    data = {
        "amount": "4,88",
        "paid_on": "2026-03-09",
        "method": "bank_transfer",
        "reference": "CRO0001",
    }
    data.update(fields)
    return operator.post(f"/operators/orders/{order.id}/payments", data)


def report(order, reference="CRO-MEMBER-1", amount_cents=488):
    return pay.report_payment(
        order,
        method="bank_transfer",
        amount_cents=amount_cents,
        paid_on=dt.date(2026, 3, 9),
        reference=reference,
        actor="member:test",
    ).payment


def test_operator_registers_a_wizard_transfer_and_the_member_sees_three_more_years(
    member, wizard, operator, demo
):
    member.login()
    order_id = wizard.renew(box(MARIO_BOX), method="bank_transfer")
    order = Order.get_by_id(order_id)
    assert order.status == "awaiting_payment" and order.gross_cents == 488
    member.logout()

    operator.login()
    listed = operator.page(f"/operators/orders?view=awaiting&number={order.number}")
    assert f'href="/operators/orders/{order.id}"' in listed
    page = operator.page(f"/operators/orders/{order.id}")
    assert 'value="4,88"' in page and "Registra il pagamento" in page
    response = register(operator, order, reference="CRO-2026-0001")
    assert response.status_code == 303
    done = operator.page(response.location)
    assert "Pagamento registrato sull&#39;ordine N° " + order.number in flashes(done)
    assert box(MARIO_BOX).expires_on == dt.date(2029, 3, 30)  # R2: old expiry + 3 years
    payment = Payment.get(Payment.order == order)
    assert (payment.provider, payment.status, payment.registered_by) == (
        "operator",
        "registered",
        f"operator:{operator_id()}",
    )

    again = operator.page(register(operator, order, reference="CRO-2026-0001").location)
    assert "Rifiutato: il pagamento con riferimento CRO-2026-0001 è già registrato" in flashes(
        again
    )
    other = operator.page(register(operator, order, reference="CRO-2026-0002").location)
    assert "non è in attesa di pagamento (Pagato)" in flashes(other)
    assert box(MARIO_BOX).expires_on == dt.date(2029, 3, 30)  # applied exactly once

    operator.logout()
    member.login()
    gestione = member.client.get("/mailboxes/").get_data(as_text=True)
    assert "30/03/2029" in gestione


def operator_id() -> int:
    from pec.models import Operator

    return Operator.get(Operator.email == "admin@example.org").id


@ON_BOTH_DATABASES
def test_four_euros_then_eighty_eight_cents_through_the_order_page(operator, demo):
    """R12 through the pages: the first payment is counted and the member asked for the
    rest; the second applies the renewal, once."""
    order = make_order([box(MARIO_BOX)])
    operator.login()
    page = operator.page(register(operator, order, amount="4,00", reference="CRO-A").location)
    assert "mancano 0,88" in flashes(page).replace("\xa0", " ")
    assert box(MARIO_BOX).expires_on == dt.date(2026, 3, 30)
    assert Order.get_by_id(order.id).status == "awaiting_payment"
    asked = OutboxMessage.get(OutboxMessage.kind == "payment_received")
    assert "mancano 0,88 €" in asked.body_text.replace("\xa0", " ")
    partial = operator.page("/operators/orders?view=partial")
    assert f">{order.number}</a>" in partial
    assert 'id="money-missing">0,88' in page

    page = operator.page(register(operator, order, amount="0,88", reference="CRO-B").location)
    assert "il rinnovo è applicato" in flashes(page)
    assert box(MARIO_BOX).expires_on == dt.date(2029, 3, 30)
    again = register(operator, order, amount="0,88", reference="CRO-B")
    assert "già registrato" in flashes(operator.page(again.location))
    assert box(MARIO_BOX).expires_on == dt.date(2029, 3, 30)
    assert OutboxMessage.select().where(OutboxMessage.kind == "renewal_applied").count() == 1


@ON_BOTH_DATABASES
def test_ten_euros_leave_five_twelve_to_refund_until_the_refund_is_recorded(operator, demo):
    order = make_order([box(MARIO_BOX)])
    operator.login()
    page = operator.page(register(operator, order, amount="10,00", reference="CRO-BIG").location)
    assert box(MARIO_BOX).expires_on == dt.date(2029, 3, 30)
    assert 'id="money-to-refund">5,12' in page
    to_refund = operator.page("/operators/orders?view=to_refund")
    assert f">{order.number}</a>" in to_refund
    url = f"/operators/orders/{order.id}/refunds"
    missing = operator.post(url, {"refund_amount": "5,12", "refunded_on": "2026-03-10"})
    assert missing.status_code == 422
    assert "Inserisci il riferimento del rimborso" in missing.get_data(as_text=True)
    too_much = operator.post(
        url, {"refund_amount": "11,00", "refunded_on": "2026-03-10", "refund_reference": "T1"}
    )
    assert too_much.status_code == 422
    done = operator.post(
        url, {"refund_amount": "5,12", "refunded_on": "2026-03-10", "refund_reference": "TRN-9"}
    )
    assert done.status_code == 303
    page = operator.page(done.location)
    assert 'id="money-to-refund">0,00' in page and "TRN-9" in page
    assert f">{order.number}</a>" not in operator.page("/operators/orders?view=to_refund")
    told = OutboxMessage.get(OutboxMessage.kind == "refund_recorded")
    assert "5,12" in told.body_text and told.to_address == "mario.rossi@example.org"
    assert AuditEvent.get(AuditEvent.action == "refund.recorded").actor.startswith("operator:")


def test_money_to_refund_may_be_accepted_with_a_reason(operator, demo):
    order = make_order([box(MARIO_BOX)])
    operator.login()
    register(operator, order, amount="4,90", reference="CRO-X")
    url = f"/operators/orders/{order.id}/acceptances"
    refused = operator.post(url, {"accept_amount": "0,02", "accept_reason": ""})
    assert refused.status_code == 422
    done = operator.post(url, {"accept_amount": "0,02", "accept_reason": "due centesimi"})
    page = operator.page(done.location)
    assert 'id="money-to-refund">0,00' in page and "due centesimi" in page
    assert AuditEvent.get(AuditEvent.action == "refund.accepted").details["reason"] == (
        "due centesimi"
    )


def test_bad_amount_and_future_date_are_field_errors_and_nothing_is_saved(operator, demo):
    order = make_order([box(MARIO_BOX)])
    operator.login()
    response = register(operator, order, amount="quattro", paid_on="2026-03-11")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Importo non valido: scrivi euro e centesimi" in page
    assert "La data del pagamento non può essere futura." in page
    assert 'value="quattro"' in page  # what was typed is kept
    missing = register(operator, order, reference="")
    assert missing.status_code == 422
    assert "Inserisci il riferimento del pagamento." in missing.get_data(as_text=True)
    assert Payment.select().count() == 0


def test_the_form_proposes_the_reference_the_member_reported(operator, demo):
    order = make_order([box(MARIO_BOX)])
    report(order, reference="CRO-DAL-SOCIO")
    operator.login()
    page = operator.page(f"/operators/orders/{order.id}")
    assert re.search(r'<input id="reference"[^>]*value="CRO-DAL-SOCIO"', page)
    assert "Pagamento segnalato dall'iscritto" in page
    assert f">{order.number}</a>" in operator.page("/operators/orders?view=reported")
    register(operator, order, reference="CRO-DAL-SOCIO")
    payment = Payment.get(Payment.order == order)  # the report became the registration
    assert payment.status == "registered" and Payment.select().count() == 1


def test_rejecting_a_report_mails_the_reason_audits_and_keeps_the_order_awaiting(operator, demo):
    order = make_order([box(MARIO_BOX)])
    reported = report(order)
    operator.login()
    empty = operator.post(f"/operators/orders/{order.id}/payments/{reported.id}/reject", {})
    assert empty.status_code == 422
    assert "Scrivi il motivo" in empty.get_data(as_text=True)
    response = operator.post(
        f"/operators/orders/{order.id}/payments/{reported.id}/reject",
        {"reject_reason": "Nessun bonifico con questo CRO sul conto."},
    )
    assert response.status_code == 303
    assert "Segnalazione rifiutata" in flashes(operator.page(response.location))
    rejected = Payment.get_by_id(reported.id)
    assert rejected.status == "rejected"
    assert rejected.rejection_reason == "Nessun bonifico con questo CRO sul conto."
    assert Order.get_by_id(order.id).status == "awaiting_payment"
    assert pay.pending_report(order) is None  # the R5 hold ends with the report
    mail = OutboxMessage.get(OutboxMessage.kind == "payment_rejected")
    assert mail.to_address == "mario.rossi@example.org" and mail.order_id == order.id
    assert "Nessun bonifico con questo CRO sul conto." in mail.body_text
    assert "Nessun bonifico con questo CRO sul conto." in mail.body_html
    assert f"/payments/{order.id}/report" in mail.body_text
    event = AuditEvent.get(AuditEvent.action == "payment.report_rejected")
    assert event.actor == f"operator:{operator_id()}" and event.target_id == order.id
    assert event.details["reason"] == "Nessun bonifico con questo CRO sul conto."
    twice = operator.post(
        f"/operators/orders/{order.id}/payments/{reported.id}/reject",
        {"reject_reason": "di nuovo"},
    )
    assert "non è più una segnalazione in attesa" in flashes(operator.page(twice.location))
    assert OutboxMessage.select().where(OutboxMessage.kind == "payment_rejected").count() == 1


def test_member_can_report_the_same_cro_again_after_a_rejection(operator, demo):
    """The operator rejected a transfer that had not arrived yet; once it arrives the
    member reports the same CRO again and the R5 hold starts again."""
    order = make_order([box(MARIO_BOX)])
    first = report(order)
    operator.login()
    operator.post(
        f"/operators/orders/{order.id}/payments/{first.id}/reject",
        {"reject_reason": "Non ancora arrivato."},
    )
    outcome = pay.report_payment(
        order,
        method="bank_transfer",
        amount_cents=488,
        paid_on=dt.date(2026, 3, 10),
        reference="CRO-MEMBER-1",
        actor="member:test",
    )
    assert outcome.code == pay.REPORTED
    assert outcome.payment.id == first.id and outcome.payment.status == "reported"
    assert outcome.payment.paid_on == dt.date(2026, 3, 10)
    assert pay.pending_report(order).id == first.id
    assert AuditEvent.select().where(AuditEvent.action == "payment.reported").count() == 2


def test_cancelling_is_audited_mails_the_member_and_frees_the_mailbox(
    member, wizard, operator, demo
):
    order = make_order([box(MARIO_BOX)])
    operator.login()
    response = operator.post(
        f"/operators/orders/{order.id}/cancel",
        {"cancel_reason": "Ordine doppio", "notify": "y"},
    )
    assert response.status_code == 303
    assert "Ordine annullato" in flashes(operator.page(response.location))
    cancelled = Order.get_by_id(order.id)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    assert OrderLine.get(OrderLine.order == order).open_mailbox_id is None
    event = AuditEvent.get(AuditEvent.action == "order.cancelled")
    assert event.actor == f"operator:{operator_id()}" and event.details["reason"] == "Ordine doppio"
    mail = OutboxMessage.get(OutboxMessage.kind == "order_cancelled")
    assert order.number in mail.subject and "Ordine doppio" in mail.body_text
    assert MARIO_BOX in mail.body_text
    again = operator.post(f"/operators/orders/{order.id}/cancel", {"notify": "y"})
    assert "non è aperto" in flashes(operator.page(again.location))
    operator.logout()

    member.login()  # the mailbox can be renewed again with a new order
    new_id = wizard.renew(box(MARIO_BOX), method="bank_transfer")
    assert new_id != order.id and Order.get_by_id(new_id).status == "awaiting_payment"


def test_cancelling_without_notice_sends_no_mail(operator, demo):
    order = make_order([box(MARIO_BOX)])
    operator.login()
    operator.post(f"/operators/orders/{order.id}/cancel", {"cancel_reason": ""})
    assert Order.get_by_id(order.id).status == "cancelled"
    assert OutboxMessage.select().where(OutboxMessage.kind == "order_cancelled").count() == 0


def test_an_order_with_a_waiting_report_is_not_cancelled(operator, demo):
    order = make_order([box(MARIO_BOX)])
    report(order)
    operator.login()
    response = operator.post(f"/operators/orders/{order.id}/cancel", {"notify": "y"})
    assert "registralo o rifiuta la segnalazione" in flashes(operator.page(response.location))
    assert Order.get_by_id(order.id).status == "awaiting_payment"


def test_orders_filter_by_number_holder_method_and_status(operator, demo):
    mario = make_order([box(MARIO_BOX)], number="MARIO001")
    anna = make_order([box("anna.bianchi@pec.demo.it")], number="ANNA0001", method="blank_slip")
    operator.login()

    def numbers(query):
        return re.findall(
            r'class="order-number"[^>]*>([^<]+)<', operator.page("/operators/orders" + query)
        )

    assert set(numbers("")) == {mario.number, anna.number}
    assert numbers("?number=mario") == [mario.number]
    assert numbers("?holder=BNCNNA85M41F205Q") == [anna.number]
    assert numbers("?holder=anna.bianchi@pec") == [anna.number]
    assert numbers("?method=blank_slip") == [anna.number]
    assert numbers("?status=paid") == []
    assert numbers("?view=reported") == []


def test_unknown_orders_and_payments_are_404(operator, demo):
    order = make_order([box(MARIO_BOX)])
    operator.login()
    assert operator.client.get("/operators/orders/999").status_code == 404
    assert (
        operator.post(f"/operators/orders/{order.id}/payments/999/reject", {"reject_reason": "x"})
    ).status_code == 404
    assert operator.post("/operators/orders/999/cancel", {}).status_code == 404


def test_the_mailbox_history_links_to_the_order_page(operator, demo):
    order = make_order([box(MARIO_BOX)])
    operator.login()
    page = operator.page(f"/operators/mailboxes/{box(MARIO_BOX).id}")
    assert f'href="/operators/orders/{order.id}"' in page
    assert clock.today() == demo
