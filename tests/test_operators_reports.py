"""The season's charts (SVG with their numbers as tables) and the accountant's CSV."""

import csv
import io

from pec.models import AuditEvent, Mailbox
from tests.factories import make_order, pay


def paid_order(today):
    box = Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")
    order = make_order([box], number="B6KRJV3H")
    pay(order, 488, reference="TRN-42", today=today, paid_on=today)
    return order


def test_the_charts_are_svg_with_their_numbers_in_tables(operator, demo):
    paid_order(demo)
    operator.login()
    page = operator.page("/operators/reports")
    assert page.count('<svg viewBox="0 0 720') == 3 and "<script" not in page.split("<main", 1)[1]
    assert 'role="img" aria-labelledby="expiry-chart-title expiry-chart-desc"' in page
    expiry = page.split("<caption>Caselle in scadenza per mese</caption>", 1)[1].split(
        "</table>", 1
    )[0]
    # Demo (10/03/2026): mario.rossi expires in 20 days (March), studio.rossi in 200
    # days (September); anna's was renewed in advance from 15/03/2026.
    march = expiry.split("</tr>", 2)[1]
    assert "marzo 2026" in march and ">1<" in march
    assert (
        'class="num">1</td><td data-label="Ordinate, in attesa di pagamento" class="num">0' in march
    )
    assert "4,88" in page.split("Incassi della stagione", 1)[1]


def test_the_accountant_gets_a_csv_of_the_period(operator, demo):
    order = paid_order(demo)
    operator.login()
    response = operator.client.get("/operators/reports/payments.csv?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "pagamenti_2026-03-01_2026-03-31.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Data",
        "Tipo",
        "Ordine",
        "Intestatario",
        "Codice fiscale",
        "Imponibile",
        "IVA",
        "Totale",
        "Modalità",
        "Riferimento bancario",
        "Numero fattura",
    ]
    assert rows[1] == [
        "10/03/2026",
        "pagamento",
        order.number,
        "Anna Bianchi",
        "BNCNNA85M41F205Q",
        "4,00",
        "0,88",
        "4,88",
        "Bonifico bancario",
        "TRN-42",
        "",
    ]
    assert len(rows) == 2
    export = AuditEvent.get(AuditEvent.action == "payments.exported")
    assert export.details == {"from": "2026-03-01", "to": "2026-03-31", "rows": 1}
    empty = operator.client.get("/operators/reports/payments.csv?from=2026-01-01&to=2026-01-31")
    assert len(empty.get_data().decode("utf-8-sig").splitlines()) == 1
