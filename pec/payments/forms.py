"""The member's report of a transfer or slip payment (docs/rules.md, member journey 10)."""

import datetime as dt
import re

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from pec.domain import clock, money
from pec.labels import PAYMENT_METHOD_LABELS
from pec.language import current_language
from pec.language import lazy_gettext as _l
from pec.vocabulary import PaymentMethod
from pec.web import format_date

REPORTABLE = [m for m in PaymentMethod if m.is_reportable]
REFERENCE_RE = re.compile(r"^[A-Z0-9]{5,35}$")
# "CRO", "TRN" or "n." written before the number, followed by a space or a colon.
LABEL_RE = re.compile(
    r"^\s*(?:CRO|TRN|N\.|NR\.?|NUM\.?|NUMERO)\s*[:.]?\s+|^\s*(?:CRO|TRN)\s*:\s*", re.I
)
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


class ReportForm(FlaskForm):
    method = RadioField(
        _l("Come hai pagato"),
        # The reportable methods, the most common first.
        choices=[
            SelectChoice(m, PAYMENT_METHOD_LABELS[m])
            for m in sorted(REPORTABLE, key=lambda m: not m.is_bank_transfer)
        ],
        validate_choice=False,  # checked below, with our own message
    )
    paid_on = StringField(_l("Data del pagamento"))
    amount = StringField(_l("Importo pagato (€)"))
    reference = StringField(_l("CRO/TRN del bonifico o numero del bollettino"))

    def __init__(self, *args, order, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.today = today
        self.paid_on_date: dt.date | None = None
        self.amount_cents: int | None = None

    def validate_method(self, field):
        if field.data not in REPORTABLE:
            raise ValidationError(_l("Scegli come hai pagato."))

    def validate_paid_on(self, field):
        text = (field.data or "").strip()
        if not text:
            raise ValidationError(_l("Inserisci la data del pagamento."))
        for fmt in DATE_FORMATS:
            try:
                day = dt.datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        else:
            raise ValidationError(_l("Scrivi la data come GG/MM/AAAA, per esempio 09/03/2026."))
        if day > self.today:
            raise ValidationError(_l("La data del pagamento non può essere nel futuro."))
        ordered_on = (self.order.confirmed_at or self.order.created_at).astimezone(clock.ROME)
        if day < ordered_on.date():
            raise ValidationError(
                _l(
                    "La data è precedente all'ordine (%(date)s): controlla la ricevuta.",
                    date=format_date(ordered_on),
                )
            )
        self.paid_on_date = day

    def validate_amount(self, field):
        text = (field.data or "").strip()
        if not text:
            raise ValidationError(_l("Inserisci l'importo pagato."))
        try:
            cents = money.parse_eur(text)
        except (ValueError, ArithmeticError):
            raise ValidationError(
                _l("Scrivi l'importo in euro con i centesimi, per esempio 4,88.")
            ) from None
        if cents != self.order.gross_cents:
            raise ValidationError(
                _l(
                    "L'importo dell'ordine è %(amount)s: controlla la ricevuta. Se hai pagato "
                    "un importo diverso, contatta la convenzione.",
                    amount=money.format_eur(self.order.gross_cents, current_language()),
                )
            )
        self.amount_cents = cents

    @property
    def reference_value(self) -> str:
        """The one form a reference is stored and shown in: without a label typed before
        it ("CRO 0306 1234" and "TRN: 0306-1234" are "03061234"), spaces, dots or dashes."""
        text = LABEL_RE.sub("", self.reference.data or "", count=1)
        return re.sub(r"[\s\-./]", "", text).upper()

    def validate_reference(self, field):
        if not (field.data or "").strip():
            raise ValidationError(_l("Inserisci il CRO/TRN o il numero del bollettino."))
        if not REFERENCE_RE.match(self.reference_value):
            raise ValidationError(
                _l(
                    "Il riferimento ha da 5 a 35 lettere o cifre: lo trovi sulla ricevuta "
                    "del bonifico (CRO o TRN) o del bollettino."
                )
            )
