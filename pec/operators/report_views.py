"""The season at a glance (charts as server-rendered SVG, each with its numbers as a
table) and the payments of a period as CSV for the accountant."""

import csv
import datetime as dt
import io

from flask import Blueprint, Response, request
from flask_babel import format_date as babel_format_date
from flask_babel import gettext as _

from pec.domain import accounting, clock, season
from pec.domain.csv_files import guard_cell
from pec.domain.money import format_eur
from pec.input_limits import arg_date
from pec.labels import PAYMENT_METHOD_LABELS
from pec.language import current_language
from pec.operators import charts
from pec.operators.session import actor, operator_required
from pec.rendering import render_page
from pec.web import format_date

bp = Blueprint("reports", __name__)

EXPIRY_KEYS = ("paid", "ordered", "nothing")


def _month_label(day: dt.date, width: str = "MMMM yyyy") -> str:
    return babel_format_date(day, width)


def _eur(cents: int) -> str:
    return format_eur(cents, current_language())


@bp.get("/reports")
@operator_required()
def reports():
    today = clock.today()
    months = season.expiries_by_month(today)
    weeks = season.renewals_by_week(today)
    money = season.money_by_method(today)
    rate = season.renewal_rate(today)
    expiry_chart = charts.column_chart(
        [
            (
                _month_label(m.month),
                _month_label(m.month, "MMM yy"),
                {"paid": m.paid, "ordered": m.ordered, "nothing": m.nothing},
            )
            for m in months
        ],
        EXPIRY_KEYS,
    )
    week_chart = charts.column_chart(
        [
            (
                _("settimana dal %(date)s", date=format_date(w.monday)),
                babel_format_date(w.monday, "d MMM"),
                {"renewals": w.renewals},
            )
            for w in weeks
        ],
        ("renewals",),
        label_every=4 if len(weeks) > 12 else 1,
    )
    money_chart = charts.bar_chart(
        [(str(PAYMENT_METHOD_LABELS[m.method]), m.cents, _eur(m.cents)) for m in money]
    )
    first_of_month = today.replace(day=1)
    return render_page(
        "operators/reports.html",
        today=today,
        season_start=season.season_start(today),
        months=months,
        weeks=weeks,
        money=money,
        money_total=sum(m.cents for m in money),
        rate=rate,
        expiry_chart=expiry_chart,
        week_chart=week_chart,
        money_chart=money_chart,
        export_from=first_of_month,
        export_to=today,
    )


KIND_WORDS = {
    accounting.PAYMENT: lambda: _("pagamento"),
    accounting.TO_VERIFY: lambda: _("pagamento da verificare"),
    accounting.REFUND: lambda: _("rimborso"),
}


@bp.get("/reports/payments.csv")
@operator_required()
def payments_csv():
    """Payments (and refunds) of a period, one line each, for the accountant: UTF-8 with
    BOM and `;`, amounts with the decimal comma, so Excel opens it right."""
    today = clock.today()
    start = arg_date("from") or today.replace(day=1)
    end = arg_date("to") or today
    if end < start:
        start, end = end, start
    rows = accounting.ledger(start, end)
    accounting.record_export(start, end, len(rows), actor=actor(), ip=request.remote_addr or "")
    comma = current_language() == "it"

    def amount(cents: int) -> str:
        text = f"{cents / 100:.2f}" if cents >= 0 else f"-{-cents / 100:.2f}"
        return text.replace(".", ",") if comma else text

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Data"),
            _("Tipo"),
            _("Ordine"),
            _("Intestatario"),
            _("Codice fiscale"),
            _("Imponibile"),
            _("IVA"),
            _("Totale"),
            _("Modalità"),
            _("Riferimento bancario"),
            _("Numero fattura"),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                guard_cell(cell)
                for cell in (
                    row.on.strftime("%d/%m/%Y"),
                    KIND_WORDS[row.kind](),
                    row.order_number,
                    row.holder,
                    row.fiscal_code,
                    amount(row.net_cents),
                    amount(row.vat_cents),
                    amount(row.gross_cents),
                    PAYMENT_METHOD_LABELS.get(row.method, row.method or ""),
                    row.reference,
                    row.invoice_number,
                )
            ]
        )
    name = f"pagamenti_{start.isoformat()}_{end.isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
