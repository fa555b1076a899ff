"""Issue 12 through the pages and the CLI: a declared payment never hides a deactivation,
"I miei ordini", cancelling a draft from any step, combined orders replacing a draft,
suggested orders for unmatched statement lines, and the operators' invoices."""

import datetime as dt
import io
import re
import zipfile
from io import BytesIO

import pytest

from pec.domain.renewal import new_order_number
from pec.models import Convention, Invoice, Mailbox, Order, OutboxMessage
from tests.conftest import HTMX_PANEL, ON_BOTH_DATABASES, MemberActions
from tests.domain.test_invoices import SELLER
from tests.factories import make_order
from tests.test_operators_payments import flashes, register

MARIO_DEACTIVATED = "m.rossi@pec.demo.it"


def box(address) -> Mailbox:
    return Mailbox.get(Mailbox.address == address)


def row_of(page: str, address: str) -> str:
    """The table row of one mailbox on a page."""
    found = re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(address)}(?:(?!</tr>).)*</tr>", page, re.S)
    assert found, address
    return found.group(0)


def counts(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'id="count-(\w+)">(\d+)<', page)}


@ON_BOTH_DATABASES
def test_a_transfer_reported_for_a_deactivated_mailbox_leaves_it_deactivated(
    member, wizard, operator, demo
):
    """R12: the member page, the dashboard and the domicilio list all keep saying
    deactivated ("pagamento segnalato, in verifica") until the payment is registered."""
    assert box(MARIO_DEACTIVATED).deactivated_on is not None
    operator.login()
    before = counts(operator.page("/operators/"))
    operator.logout()

    member.login()
    order_id = wizard.renew(box(MARIO_DEACTIVATED))
    reported = member.post(
        f"/payments/{order_id}/report",
        {"method": "bank_transfer", "paid_on": "10/03/2026", "amount": "4,88",
         "reference": "CRO 0306 2026 0001"},
    )  # fmt: skip
    assert reported.status_code == 303
    row = row_of(member.client.get("/mailboxes/").get_data(as_text=True), MARIO_DEACTIVATED)
    assert "badge-deactivated" in row and "pagamento segnalato, in verifica" in row
    assert "La casella non riceve né invia messaggi: puoi ancora rinnovarla" in row
    member.logout()

    operator.login()
    dashboard = counts(operator.page("/operators/"))
    assert dashboard == before and dashboard["deactivated"] >= 1
    listed = operator.page("/operators/domicilio")
    assert "badge-deactivated" in row_of(listed, MARIO_DEACTIVATED)
    assert "pagamento segnalato, in verifica" in row_of(listed, MARIO_DEACTIVATED)
    csv = operator.client.get("/operators/domicilio.csv").get_data(as_text=True)
    assert f"{MARIO_DEACTIVATED};Disattivato" in csv
    filtered = operator.page("/operators/mailboxes?status=deactivated")
    assert MARIO_DEACTIVATED in filtered

    register(operator, Order.get_by_id(order_id), reference="BANK-0306")
    after = counts(operator.page("/operators/"))
    assert after["deactivated"] == before["deactivated"] - 1
    assert MARIO_DEACTIVATED not in operator.page("/operators/domicilio")
    operator.logout()
    member.login()
    row = row_of(member.client.get("/mailboxes/").get_data(as_text=True), MARIO_DEACTIVATED)
    assert "badge-active" in row and "07/03/2029" in row


def test_my_orders_show_money_payments_receipt_and_invoice(app, member, wizard, operator, demo):
    Convention.update(**SELLER).execute()
    member.login()
    order_id = wizard.renew(box("studio.rossi@pec.demo.it"))
    member.logout()
    operator.login()
    register(operator, Order.get_by_id(order_id), amount="4,00", reference="CRO-A")
    operator.logout()

    member.login()
    page = member.client.get("/orders/").get_data(as_text=True).replace("\xa0", " ")
    assert "I miei ordini" in page and Order.get_by_id(order_id).number in page
    assert "Ricevuto</dt><dd>4,00 €" in page and "<strong>0,88 €</strong>" in page
    assert "CRO-A" in page and "Ricevuto" in page
    assert f'href="/payments/{order_id}/report"' in page
    member.logout()

    operator.login()
    register(operator, Order.get_by_id(order_id), amount="0,88", reference="CRO-B")
    operator.logout()
    member.login()
    page = member.client.get("/orders/").get_data(as_text=True)
    invoice = Invoice.get(Invoice.order == order_id)
    assert f'href="/payments/{order_id}/receipt"' in page
    courtesy = f"/payments/{order_id}/invoices/{invoice.id}"
    assert courtesy in page and "Fattura N° 1/2026" in page
    copy = member.client.get(courtesy).get_data(as_text=True)
    assert SELLER["seller_name"] in copy and "Copia di cortesia" in copy
    assert "06363391001" in copy and invoice.file_name in copy
    receipt = member.client.get(f"/payments/{order_id}/receipt").get_data(as_text=True)
    assert courtesy in receipt and SELLER["seller_name"] in receipt
    mail = OutboxMessage.get(OutboxMessage.kind == "invoice_issued")
    assert SELLER["seller_name"] in mail.body_text and courtesy in mail.body_text
    member.logout()

    # Another member's login sees none of it (the one visibility rule).
    anna = MemberActions(app.test_client())
    anna.login("anna.bianchi@pec.demo.it", "demo-password")
    assert Order.get_by_id(order_id).number not in anna.client.get("/orders/").get_data(
        as_text=True
    )
    assert anna.client.get(courtesy).status_code == 404


def test_a_mailbox_login_sees_only_the_orders_of_its_mailbox(app, member, wizard, demo):
    member.login()
    combined = wizard.renew(box("studio.rossi@pec.demo.it"), box("mario.rossi@pec.demo.it"))
    member.logout()
    own = make_order([box("anna.bianchi@pec.demo.it")])
    anna = MemberActions(app.test_client())
    anna.login("anna.bianchi@pec.demo.it", "demo-password")
    page = anna.client.get("/orders/").get_data(as_text=True)
    assert own.number in page and Order.get_by_id(combined).number not in page


@pytest.mark.parametrize("step", ["service", "contracts", "billing", "payment", "confirm"])
def test_every_wizard_step_can_cancel_the_draft(member, wizard, demo, step):
    member.login()
    order_id = wizard.start(box("studio.rossi@pec.demo.it"))
    if step in ("billing", "payment", "confirm"):
        wizard.accept_contracts(order_id)
    if step in ("payment", "confirm"):
        wizard.submit_billing(order_id)
    if step == "confirm":
        wizard.choose_method(order_id)
    form = f'action="/renewals/{order_id}/cancel" class="cancel" hx-boost="false"'
    assert form in member.client.get(f"/renewals/{order_id}/{step}").get_data(as_text=True)
    fragment = member.client.get(f"/renewals/{order_id}/{step}", headers=HTMX_PANEL)
    assert form in fragment.get_data(as_text=True)
    response = member.post(f"/renewals/{order_id}/cancel")
    assert response.status_code == 303 and response.location.endswith("/mailboxes/")
    assert Order.get_by_id(order_id).status == "cancelled"
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    assert "Rinnovo annullato" in page
    assert f'value="{box("studio.rossi@pec.demo.it").id}"' in page  # RINNOVA again


def test_ticking_a_mailbox_on_my_draft_into_a_combined_order_replaces_the_draft(
    member, wizard, demo
):
    member.login()
    studio = box("studio.rossi@pec.demo.it")
    mario = box("mario.rossi@pec.demo.it")
    draft = wizard.start(studio)
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    assert f'name="mailbox" value="{studio.id}"' in page  # ticking it is offered
    combined = wizard.start(studio, mario, only=False)
    assert combined != draft
    assert Order.get_by_id(draft).status == "cancelled"
    assert {line.mailbox_id for line in Order.get_by_id(combined).lines} == {studio.id, mario.id}


def test_an_unmatched_line_suggests_the_holders_open_order_and_one_click_applies_it(operator, demo):
    mario_order = make_order([box("mario.rossi@pec.demo.it")])
    make_order([box("anna.bianchi@pec.demo.it")])  # same amount, another holder
    data = (
        b"Data operazione,Entrate,Uscite,Descrizione operazione,Riferimento\r\n"
        b'10/03/2026,"4,88",,Bonifico da ROSSI MARIO rinnovo casella pec,BANK-77\r\n'
    )
    operator.login()
    uploaded = operator.post(
        "/operators/statements",
        {"statement": (BytesIO(data), "estratto.csv")},
        content_type="multipart/form-data",
    )
    preview = operator.page(uploaded.location)
    suggested = re.findall(r'name="order_number" value="([^"]+)"', preview)
    assert suggested == [mario_order.number]
    assert "ordine N° " + mario_order.number + " – Mario Rossi, mancano 4,88" in preview.replace(
        "\xa0", " "
    )
    clicked = operator.post(
        uploaded.location + "/lines/2/match", {"order_number": mario_order.number}
    )
    assert "il rinnovo è applicato" in flashes(operator.page(clicked.location))
    assert box("mario.rossi@pec.demo.it").expires_on == dt.date(2029, 3, 30)


@ON_BOTH_DATABASES
def test_operators_download_the_months_invoices_and_export_paid_orders(operator, demo):
    Convention.update(**SELLER).execute()
    first = make_order([box("mario.rossi@pec.demo.it")])
    second = make_order([box("anna.bianchi@pec.demo.it")])
    operator.login()
    register(operator, first, reference="CRO-1")
    register(operator, second, reference="CRO-2")
    page = operator.page("/operators/invoices?month=2026-03")
    assert "1/2026" in page and "2/2026" in page
    download = operator.client.get("/operators/invoices/2026-03.zip")
    assert download.status_code == 200
    name = re.search(r'filename="([^"]+)"', download.headers["Content-Disposition"]).group(1)
    assert re.fullmatch(r"IT06363391001_Z[0-9A-Z]{4}\.zip", name)
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert sorted(archive.namelist()) == sorted(i.file_name for i in Invoice.select())
    assert len(archive.namelist()) == 2
    exported = operator.client.get("/operators/paid-orders/2026-03.csv").get_data(as_text=True)
    lines = exported.lstrip("\ufeff").strip().split("\r\n")
    assert lines[0].startswith("order_number;paid_on;person_type")
    assert len(lines) == 3 and first.number in exported and "4,88" in exported
    assert operator.client.get("/operators/invoices/2026-13.zip").status_code == 404
    assert operator.client.get("/operators/invoices/2026-02.zip").status_code == 404


def test_the_convention_cannot_invoice_without_the_sellers_identity(operator, demo):
    Convention.update(seller_name="", seller_vat_number="").execute()  # the demo has them
    convention = Convention.get()
    operator.login()
    form = operator.page(f"/operators/conventions/{convention.id}")
    data = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', form))
    data.update(
        price="4,00",
        vat_rate="22",
        duration_years="3",
        enabled_methods=["card", "bank_transfer"],
        seller="convention",
        tax_regime="RF01",
    )
    refused = operator.post(f"/operators/conventions/{convention.id}", data)
    assert refused.status_code == 422
    assert "Per emettere le fatture servono" in refused.get_data(as_text=True)
    assert Convention.get().seller == "provider"


@ON_BOTH_DATABASES
def test_four_euros_then_eighty_eight_cents_from_two_statements_through_the_cli(
    app, runner, demo, tmp_path
):
    order = make_order([box("mario.rossi@pec.demo.it")], number=new_order_number())
    for n, amount in enumerate(("4,00", "0,88")):
        path = tmp_path / f"estratto{n}.csv"
        path.write_text(
            "Data operazione,Entrate,Uscite,Descrizione operazione,Riferimento\r\n"
            f'10/03/2026,"{amount}",,Rinnovo PEC ordine {order.number},BANK-{n}\r\n',
            encoding="utf-8",
        )
        result = runner.invoke(args=["pec", "import-statement", str(path), "--apply"])
        assert result.exit_code == 0, result.output
        if n == 0:
            assert box("mario.rossi@pec.demo.it").expires_on == dt.date(2026, 3, 30)
            asked = OutboxMessage.get(OutboxMessage.kind == "payment_received")
            assert "mancano 0,88 €" in asked.body_text.replace("\xa0", " ")
        again = runner.invoke(args=["pec", "import-statement", str(path), "--apply"])
        assert again.exit_code == 0
    assert box("mario.rossi@pec.demo.it").expires_on == dt.date(2029, 3, 30)
    assert Order.get_by_id(order.id).received_cents == 488
    assert OutboxMessage.select().where(OutboxMessage.kind == "renewal_applied").count() == 1
