"""Convention settings and contract versions: admin only, audited, new orders only."""

from pec.models import (
    AuditEvent,
    ContractDocument,
    Convention,
    Mailbox,
    Order,
)
from tests.factories import make_order

FORM = {
    "price": "5,50",
    "vat_rate": "22",
    "duration_years": "2",
    "reminder_offsets": "30, 7 60",
    "expiring_window_days": "30",
    "restore_window_days": "15",
    "declared_payment_hold_days": "0",
    "document_retention_days": "10",
    "iban": "IT60 X054 2811 1010 0000 0123 456",
    "beneficiary": "PEC Demo S.r.l.",
    "postal_account": "1234567",
    "enabled_methods": ["card", "bank_transfer"],
}


def test_settings_change_is_audited_and_leaves_existing_orders_alone(operator, demo):
    convention = Convention.get()
    order = make_order([Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it")])
    frozen = (order.unit_price_cents, order.vat_rate_bp, order.duration_years, order.gross_cents)
    operator.login()
    page = operator.page(f"/operators/conventions/{convention.id}")
    assert 'value="4,00"' in page and 'value="60, 30, 15, 7, 1"' in page
    response = operator.post(f"/operators/conventions/{convention.id}", FORM)
    assert response.status_code == 303
    convention = Convention.get_by_id(convention.id)
    assert (convention.price_cents, convention.duration_years) == (550, 2)
    assert convention.reminder_offsets == "60,30,7"
    assert convention.iban == "IT60X0542811101000000123456"
    assert convention.methods == ["card", "bank_transfer"]
    assert (convention.restore_window_days, convention.declared_payment_hold_days) == (15, 0)
    event = AuditEvent.get(AuditEvent.action == "convention.updated")
    assert event.details["before"]["price_cents"] == 400
    assert event.details["after"]["price_cents"] == 550
    order = Order.get_by_id(order.id)
    assert (
        order.unit_price_cents,
        order.vat_rate_bp,
        order.duration_years,
        order.gross_cents,
    ) == frozen


def test_bad_settings_get_messages_at_their_fields_and_change_nothing(operator, demo):
    convention = Convention.get()
    operator.login()
    bad = dict(
        FORM,
        price="quattro",
        vat_rate="122",
        reminder_offsets="sette",
        iban="IT00X0542811101000000123456",
        enabled_methods=[],
    )
    response = operator.post(f"/operators/conventions/{convention.id}", bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Attiva almeno una modalità di pagamento." in page
    bad["enabled_methods"] = ["card"]
    response = operator.post(f"/operators/conventions/{convention.id}", bad)
    page = response.get_data(as_text=True)
    for message in (
        "Un importo in euro",
        "aliquota tra 0 e 100",
        "Giorni tra 0 e 365",
        "IBAN non valido.",
    ):
        assert message in page, message
    assert 'value="quattro"' in page
    missing = dict(FORM, iban="", enabled_methods=["bank_transfer"])
    response = operator.post(f"/operators/conventions/{convention.id}", missing)
    assert "Serve per le modalità di pagamento attive" in response.get_data(as_text=True)
    assert Convention.get_by_id(convention.id).price_cents == 400
    assert not AuditEvent.select().where(AuditEvent.action == "convention.updated").exists()


def test_a_new_contract_version_keeps_the_old_text(operator, demo):
    convention = Convention.get()
    conditions = ContractDocument.select().where(ContractDocument.code == "conditions")
    seeded = [(d.version, d.body) for d in conditions.order_by(ContractDocument.version)]
    operator.login()
    url = f"/operators/conventions/{convention.id}/contracts"
    first = {"code": "conditions", "title": "Condizioni", "body": "Testo uno."}
    assert operator.post(url, first).status_code == 303
    prefilled = operator.page(url + "?code=conditions")
    assert "Testo uno." in prefilled
    assert operator.post(url, dict(first, body="Testo due.")).status_code == 303
    versions = [
        (d.version, d.body, d.is_current) for d in conditions.order_by(ContractDocument.version)
    ]
    n = len(seeded)
    # Earlier texts (the demo's, then "Testo uno.") are kept unchanged, no longer current.
    assert versions == [(v, body, False) for v, body in seeded] + [
        (n + 1, "Testo uno.", False),
        (n + 2, "Testo due.", True),
    ]
    assert AuditEvent.select().where(AuditEvent.action == "contract.version_added").count() == 2
