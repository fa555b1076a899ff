"""The wizard's rules as plain function calls: steps, R2, R3, R4, R9, R10."""

import datetime as dt
import hashlib

import pytest

from pec.domain import access, clock, renewal
from pec.domain.billing import normalise
from pec.models import (
    ContractAcceptance,
    ContractDocument,
    Mailbox,
    Order,
    OrderLine,
    Payment,
)
from tests.factories import (
    VALID_BILLING,
    make_account,
    make_convention,
    make_documents,
    make_mailbox,
    make_order,
)
from tests.notices import RecordingNotices


def acting(notices=None):
    """What a verb that tells the member and is audited needs: who, and the port."""
    return dict(now=clock.now(), notices=notices or RecordingNotices(), actor="member:test")


def start(*mailboxes, started_by=None):
    return renewal.start_renewal(
        mailboxes[0].account,
        list(mailboxes),
        today=clock.today(),
        now=clock.now(),
        started_by=started_by,
    )


def accept(order):
    ids = [d.id for d in ContractDocument.current_for(order.convention_id)]
    return renewal.accept_contracts(order, ids, now=clock.now(), ip="192.0.2.7", user_agent="UA/1")


def ready_to_confirm(order, method="bank_transfer"):
    accept(order)
    renewal.save_billing(order, normalise(VALID_BILLING), now=clock.now())
    renewal.choose_payment_method(order, method, **acting())
    return order


@pytest.fixture
def box(app, today):
    convention = make_convention()
    make_documents(convention)
    return make_mailbox(make_account(convention), expires_in=20)


def test_the_step_follows_what_the_order_holds(box):
    order = start(box).order
    assert renewal.current_step(order) == "contracts"
    accept(order)
    assert renewal.current_step(order) == "billing"
    renewal.save_billing(order, normalise(VALID_BILLING), now=clock.now())
    assert renewal.current_step(order) == "payment"
    renewal.choose_payment_method(order, "card", **acting())
    assert renewal.current_step(order) == "confirm"
    renewal.confirm_order(order, **acting())
    assert renewal.current_step(Order.get_by_id(order.id)) == "done"


def test_a_new_document_version_sends_the_member_back_to_contracts(box):
    order = ready_to_confirm(start(box).order)
    old = ContractDocument.get(ContractDocument.code == "privacy")
    old.is_current = False
    old.save()
    ContractDocument.create(
        convention=old.convention, code="privacy", version=2, title=old.title, body="Nuovo testo."
    )
    assert renewal.current_step(order) == "contracts"


def test_earlier_steps_are_reachable_later_ones_are_not(box):
    order = start(box).order
    accept(order)
    assert renewal.reachable(order, "service") and renewal.reachable(order, "contracts")
    assert renewal.reachable(order, "billing")
    assert not renewal.reachable(order, "payment") and not renewal.reachable(order, "confirm")
    assert not renewal.reachable(order, "done")


def test_a_confirmed_order_only_has_its_final_page(box):
    order = ready_to_confirm(start(box).order)
    order = renewal.confirm_order(order, **acting()).order
    assert [s for s in renewal.STEPS if renewal.reachable(order, s)] == ["done"]


def test_a_renewal_counts_from_the_old_expiry_date(box, today):
    line = start(box).order.lines[0]
    assert line.old_expires_on == box.expires_on
    assert line.new_expires_on == dt.date(2029, 3, 30)  # R2: 30/03/2026 + 3 years


def test_29_february_renews_to_28_february(app, today):
    box = make_mailbox(expires_in=0, expires_on=dt.date(2028, 2, 29))
    assert start(box).order.lines[0].new_expires_on == dt.date(2031, 2, 28)


def test_an_order_has_one_line_per_mailbox_and_vat_once_on_the_total(app, today):
    account = make_account(make_convention(price_cents=102))
    boxes = [make_mailbox(account) for _ in range(3)]
    order = start(*boxes).order
    assert len(order.lines) == 3
    # R9: 22 % of 3,06 € is 0,6732 → 0,67 €; per line it would be 3 × 0,22 € = 0,66 €.
    assert (order.net_cents, order.vat_cents, order.gross_cents) == (306, 67, 373)


def test_starting_the_same_renewal_twice_resumes_the_draft(box):
    first = start(box)
    second = start(box)
    assert (first.code, second.code) == ("started", "resumed")
    assert first.order.id == second.order.id
    assert Order.select().count() == 1


def test_starting_while_an_order_awaits_payment_shows_that_order(box):
    order = make_order([box])
    again = start(box)
    assert again.code == "awaiting_payment" and again.order.id == order.id
    assert Order.select().count() == 1


def test_a_new_selection_replaces_the_draft_and_frees_its_mailboxes(box):
    other = make_mailbox(box.account)
    draft = start(box).order
    both = start(box, other).order
    assert both.id != draft.id and len(both.lines) == 2
    replaced = Order.get_by_id(draft.id)
    assert replaced.status == "cancelled"
    assert OrderLine.get(OrderLine.order == draft.id).open_mailbox_id is None


def test_a_ceased_mailbox_cannot_be_renewed(app, today):
    box = make_mailbox(expires_in=-120)
    with pytest.raises(renewal.RenewalError) as error:
        start(box)
    assert error.value.code == "not_renewable"


def test_a_deactivated_mailbox_within_the_window_can_be_renewed(app, today):
    box = make_mailbox(expires_in=-3)
    assert start(box).code == "started"


def test_acceptance_evidence_keeps_code_version_hash_time_ip_and_agent(box):
    order = start(box).order
    accept(order)
    rows = list(ContractAcceptance.select().where(ContractAcceptance.order == order))
    assert sorted(r.document_code for r in rows) == ["conditions", "privacy", "unfair_terms"]
    for row in rows:
        assert row.document_version == 1 and row.accepted
        assert row.text_sha256 == hashlib.sha256(row.document.body.encode()).hexdigest()
        assert row.ip == "192.0.2.7" and row.user_agent == "UA/1"
        assert row.answered_at == clock.now()


def test_acceptance_of_a_version_no_longer_current_is_refused(box):
    order = start(box).order
    shown = [d.id for d in ContractDocument.current_for(order.convention_id)]
    doc = ContractDocument.get_by_id(shown[0])
    doc.is_current = False
    doc.save()
    ContractDocument.create(
        convention=doc.convention, code=doc.code, version=2, title="T", body="B"
    )
    with pytest.raises(renewal.RenewalError) as error:
        renewal.accept_contracts(order, shown, now=clock.now(), ip="", user_agent="")
    assert error.value.code == "documents_changed"
    assert ContractAcceptance.select().count() == 0


def test_confirmation_gives_a_number_and_freezes_prices_and_billing(box):
    order = ready_to_confirm(start(box).order)
    outcome = renewal.confirm_order(order, **acting())
    confirmed = outcome.order
    assert outcome.code == "confirmed" and confirmed.status == "awaiting_payment"
    assert renewal.is_order_number(confirmed.number)
    assert (confirmed.net_cents, confirmed.vat_cents, confirmed.gross_cents) == (400, 88, 488)
    assert confirmed.billing["fiscal_code"] == "RSSMRA80A01H501U"
    assert confirmed.confirmed_at == clock.now()


def test_confirmation_changes_no_date(box):
    before = box.expires_on
    order = ready_to_confirm(start(box).order)
    renewal.confirm_order(order, **acting())
    assert Mailbox.get_by_id(box.id).expires_on == before  # R3


def test_a_second_confirmation_returns_the_same_order(box):
    order = ready_to_confirm(start(box).order)
    first = renewal.confirm_order(order, **acting())
    told = RecordingNotices()
    second = renewal.confirm_order(order, **acting(told))
    assert second.code == "already_confirmed" and second.order.number == first.order.number
    assert told.sent == []


def test_confirmation_tells_the_member_inside_the_transaction(box):
    order = ready_to_confirm(start(box).order)

    class OutboxDown(RecordingNotices):
        def order_confirmed(self, order):
            raise RuntimeError("outbox down")

    with pytest.raises(RuntimeError):
        renewal.confirm_order(order, **acting(OutboxDown()))
    unchanged = Order.get_by_id(order.id)
    assert unchanged.status == "draft" and unchanged.number is None


def test_a_price_change_before_confirmation_is_shown_not_charged(box):
    order = ready_to_confirm(start(box).order)
    convention = box.account.convention
    convention.price_cents = 500
    convention.save()
    outcome = renewal.confirm_order(order, **acting())
    assert outcome.code == "prices_changed" and outcome.order.status == "draft"
    assert Order.get_by_id(order.id).gross_cents == 610
    assert renewal.confirm_order(order, **acting()).code == "confirmed"


def test_an_incomplete_draft_is_not_confirmed(box):
    order = start(box).order
    assert renewal.confirm_order(order, **acting()).code == "not_ready"


def test_switching_the_method_keeps_the_number(box):
    order = make_order([box], method="bank_transfer")
    told = RecordingNotices()
    code = renewal.choose_payment_method(order, "card", **acting(told))
    reloaded = Order.get_by_id(order.id)
    assert code == "switched" and reloaded.payment_method == "card"
    assert reloaded.number == order.number and told.kinds() == ["payment_method_switched"]


def test_a_method_the_convention_does_not_offer_is_refused(app, today):
    convention = make_convention(enabled_methods="card,bank_transfer")
    box = make_mailbox(make_account(convention))
    order = start(box).order
    with pytest.raises(renewal.RenewalError) as error:
        renewal.choose_payment_method(order, "blank_slip", **acting())
    assert error.value.code == "method"


def test_cancelling_frees_the_mailbox_and_keeps_the_number(box):
    order = make_order([box])
    cancelled = renewal.cancel_order(order, now=clock.now(), actor="member:test")
    assert cancelled.status == "cancelled" and cancelled.number == order.number
    assert OrderLine.get(OrderLine.order == order).open_mailbox_id is None
    assert start(box).code == "started"


def test_an_order_with_a_reported_payment_cannot_be_cancelled(box):
    order = make_order([box])
    Payment.create(order=order, method="bank_transfer", provider="member", amount_cents=488)
    with pytest.raises(renewal.RenewalError) as error:
        renewal.cancel_order(order, now=clock.now(), actor="member:test")
    assert error.value.code == "payment_reported"


def test_order_numbers_avoid_ambiguous_characters_and_carry_a_check(app):
    numbers = {renewal.new_order_number() for _ in range(500)}
    assert len(numbers) == 500
    assert all(len(n) == 8 and not set(n) & set("01OIL") for n in numbers)
    assert all(renewal.is_order_number(n) for n in numbers)
    sample = next(iter(numbers))
    typo = sample[:3] + ("A" if sample[3] != "A" else "B") + sample[4:]
    assert not renewal.is_order_number(typo)


def test_slow_methods_warn_within_seven_days_of_expiry(app, today):
    near = start(make_mailbox(expires_in=7)).order
    far = start(make_mailbox(expires_in=8)).order
    gone = start(make_mailbox(expires_in=-1)).order
    assert renewal.slow_method_warning(renewal.lines_of(near), today) == "near"
    assert renewal.slow_method_warning(renewal.lines_of(far), today) is None
    assert renewal.slow_method_warning(renewal.lines_of(gone), today) == "expired"


def test_a_mailbox_login_sees_only_orders_of_that_mailbox(box):
    from pec.domain.accounts import Principal

    other = make_mailbox(box.account)
    single = start(box).order
    both = make_order([make_mailbox(box.account), other])
    assert access.visible_order(Principal("mailbox", box.id), single.id).id == single.id
    assert access.visible_order(Principal("mailbox", other.id), both.id) is None
    assert access.visible_order(Principal("account", box.account_id), both.id).id == both.id
    stranger = make_account()
    assert access.visible_order(Principal("account", stranger.id), single.id) is None
