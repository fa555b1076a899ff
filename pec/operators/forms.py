"""Operators' forms (Flask-WTF: a CSRF token in every one)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange

from pec.labels import PAYMENT_METHOD_LABELS, PERSON_TYPE_LABELS
from pec.language import lazy_gettext as _l
from pec.operators.labels import ROLE_LABELS
from pec.plain_form import PlainForm
from pec.vocabulary import PaymentMethod, PersonType, Role, Seller

MIN_OPERATOR_PASSWORD_LENGTH = 12

CONTRACT_CODES = ("conditions", "unfair_terms", "privacy")
CONTRACT_LABELS = {
    "conditions": _l("Condizioni Generali di Contratto"),
    "unfair_terms": _l("Approvazione clausole vessatorie (artt. 1341-1342 c.c.)"),
    "privacy": _l("Informativa privacy"),
}


class LoginForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[DataRequired(_l("Inserisci l'e-mail."))])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Inserisci la password."))]
    )


class HolderForm(FlaskForm):
    """The holder's data; judged in the view by pec.domain.billing.check_holder, the rules
    the roster import and the wizard's billing step use too."""

    person_type = SelectField(
        _l("Tipo"), choices=[SelectChoice(k, PERSON_TYPE_LABELS[k]) for k in PersonType]
    )
    first_name = StringField(_l("Nome"), validators=[Length(max=100)])
    last_name = StringField(_l("Cognome"), validators=[Length(max=100)])
    company_name = StringField(_l("Ragione sociale"), validators=[Length(max=200)])
    fiscal_code = StringField(_l("Codice fiscale"), validators=[Length(max=40)])
    vat_number = StringField(_l("Partita IVA"), validators=[Length(max=40)])
    reference_email = StringField(_l("E-mail di riferimento"), validators=[Length(max=254)])
    phone = StringField(_l("Telefono"), validators=[Length(max=40)])
    address = StringField(_l("Indirizzo"), validators=[Length(max=200)])
    postal_code = StringField(_l("CAP"), validators=[Length(max=20)])
    city = StringField(_l("Comune"), validators=[Length(max=100)])
    province = StringField(_l("Provincia"), validators=[Length(max=40)])


class UploadForm(FlaskForm):
    roster = FileField(_l("File CSV dell'elenco iscritti"))


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Motivo del rifiuto (sarà inviato all'iscritto)"),
        validators=[
            DataRequired(_l("Scrivi il motivo: l'iscritto lo riceverà per e-mail.")),
            Length(max=1000),
        ],
    )


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _days(label):
    return IntegerField(
        label,
        validators=[
            InputRequired(_l("Inserisci un numero di giorni.")),
            NumberRange(0, 3650, _l("Un numero di giorni tra 0 e 3650.")),
        ],
    )


class ConventionForm(FlaskForm):
    """Parsed further in the view (euro, rate, offsets, IBAN) through the domain."""

    price = StringField(
        _l("Prezzo di una casella, IVA esclusa (euro)"),
        validators=[DataRequired(_l("Inserisci il prezzo."))],
    )
    vat_rate = StringField(
        _l("Aliquota IVA (%)"), validators=[DataRequired(_l("Inserisci l'aliquota."))]
    )
    duration_years = IntegerField(
        _l("Durata del rinnovo (anni)"),
        validators=[
            InputRequired(_l("Inserisci la durata.")),
            NumberRange(1, 10, _l("Da 1 a 10 anni.")),
        ],
    )
    reminder_offsets = StringField(
        _l("Promemoria: giorni prima della scadenza"),
        validators=[DataRequired(_l("Inserisci almeno un giorno."))],
    )
    expiring_window_days = _days(_l('"In scadenza" da quanti giorni prima'))
    restore_window_days = _days(_l("Giorni per rinnovare dopo la scadenza"))
    declared_payment_hold_days = _days(_l("Giorni di attesa per un pagamento dichiarato"))
    document_retention_days = _days(_l("Giorni di conservazione dei documenti verificati"))
    iban = StringField(_l("IBAN"), validators=[Length(max=40)])
    beneficiary = StringField(_l("Beneficiario"), validators=[Length(max=200)])
    postal_account = StringField(_l("Conto corrente postale"), validators=[Length(max=20)])
    enabled_methods = CheckboxesField(
        _l("Modalità di pagamento attive"),
        choices=[SelectChoice(m, PAYMENT_METHOD_LABELS[m]) for m in tuple(PaymentMethod)],
        validators=[DataRequired(_l("Attiva almeno una modalità di pagamento."))],
    )
    seller = SelectField(
        _l("Chi vende e fattura il rinnovo"),
        choices=[
            SelectChoice(Seller.PROVIDER, _l("Il gestore PEC (esportate gli ordini pagati)")),
            SelectChoice(
                Seller.CONVENTION, _l("La convenzione (fatture elettroniche dal portale)")
            ),
        ],
        validate_choice=False,  # a form sent without it keeps the saved value (the view)
    )
    tax_regime = SelectField(
        _l("Regime fiscale della convenzione (fatture)"),
        choices=[
            SelectChoice("RF01", _l("RF01 – ordinario")),
            SelectChoice("RF02", _l("RF02 – contribuenti minimi")),
            SelectChoice("RF19", _l("RF19 – forfettario")),
        ],
        validate_choice=False,
    )


class ContractForm(FlaskForm):
    code = SelectField(
        _l("Documento"), choices=[SelectChoice(c, CONTRACT_LABELS[c]) for c in CONTRACT_CODES]
    )
    title = StringField(
        _l("Titolo"), validators=[DataRequired(_l("Inserisci il titolo.")), Length(max=200)]
    )
    body = TextAreaField(_l("Testo"), validators=[DataRequired(_l("Inserisci il testo."))])


class RegisterPaymentForm(PlainForm):
    """Money received for an order; the amount is parsed by pec.domain.money.parse_eur."""

    amount = StringField(
        _l("Importo ricevuto (euro)"), validators=[DataRequired(_l("Inserisci l'importo."))]
    )
    paid_on = DateField(
        _l("Data del pagamento"),
        validators=[InputRequired(_l("Inserisci la data del pagamento (GG/MM/AAAA)."))],
    )
    method = SelectField(
        _l("Modalità"),
        choices=[SelectChoice(m, PAYMENT_METHOD_LABELS[m]) for m in tuple(PaymentMethod)],
    )
    reference = StringField(
        _l("Riferimento: CRO/TRN del bonifico o numero del bollettino"),
        validators=[
            DataRequired(_l("Inserisci il riferimento del pagamento.")),
            Length(max=100),
        ],
    )
    note = StringField(_l("Nota (facoltativa)"), validators=[Length(max=500)])


class RejectReportForm(PlainForm):
    reject_reason = TextAreaField(
        _l("Motivo del rifiuto (sarà inviato all'iscritto)"),
        validators=[
            DataRequired(_l("Scrivi il motivo: l'iscritto lo riceverà per e-mail.")),
            Length(max=1000),
        ],
    )


class CancelOrderForm(PlainForm):
    cancel_reason = TextAreaField(_l("Motivo (facoltativo)"), validators=[Length(max=500)])
    # An explicit choice: an e-mail to the member is never sent by default.
    notify = BooleanField(_l("Avvisa l'iscritto per e-mail"), default=False)


class StatementUploadForm(FlaskForm):
    statement = FileField(_l("Estratto conto (CSV o CAMT.053 XML)"))


class MatchLineForm(PlainForm):
    order_number = StringField(
        _l("Numero d'ordine"),
        validators=[DataRequired(_l("Inserisci il numero d'ordine.")), Length(max=20)],
    )


# --- Signing in with a second factor, and choosing a password ------------------------------


class CodeForm(FlaskForm):
    code = StringField(
        _l("Codice"),
        validators=[DataRequired(_l("Inserisci il codice.")), Length(max=40)],
    )


class ChoosePasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nuova password"),
        validators=[
            DataRequired(_l("Inserisci la nuova password.")),
            Length(
                min=MIN_OPERATOR_PASSWORD_LENGTH,
                max=200,
                message=_l(
                    "La password deve avere almeno %(n)d caratteri.",
                    n=MIN_OPERATOR_PASSWORD_LENGTH,
                ),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Ripeti la nuova password"),
        validators=[EqualTo("password", _l("Le due password non coincidono."))],
    )


# --- Operator accounts (admins) ---------------------------------------------------------


def _role_field():
    return SelectField(_l("Ruolo"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in Role])


class InviteForm(FlaskForm):
    name = StringField(
        _l("Nome e cognome"),
        validators=[DataRequired(_l("Inserisci il nome.")), Length(max=100)],
    )
    email = StringField(
        _l("E-mail"), validators=[DataRequired(_l("Inserisci l'e-mail.")), Length(max=254)]
    )
    role = _role_field()


class OperatorEditForm(FlaskForm):
    name = StringField(
        _l("Nome e cognome"),
        validators=[DataRequired(_l("Inserisci il nome.")), Length(max=100)],
    )
    role = _role_field()


# --- Members by hand --------------------------------------------------------------------


class MailboxForm(FlaskForm):
    address = StringField(
        _l("Indirizzo PEC"),
        validators=[DataRequired(_l("Inserisci l'indirizzo PEC.")), Length(max=254)],
    )
    expires_on = DateField(
        _l("Scadenza"),
        validators=[InputRequired(_l("Inserisci la data di scadenza (GG/MM/AAAA)."))],
    )


class MemberForm(HolderForm):
    """A new holder, their account and first mailbox: the holder's data are judged by
    pec.domain.billing.check_holder, as the roster's are."""

    convention = SelectField(_l("Convenzione"), coerce=int, validate_choice=False)
    login = StringField(_l("Login dell'account"), validators=[Length(max=254)])
    pec_address = StringField(
        _l("Indirizzo PEC"),
        validators=[DataRequired(_l("Inserisci l'indirizzo PEC.")), Length(max=254)],
    )
    expires_on = DateField(
        _l("Scadenza"),
        validators=[InputRequired(_l("Inserisci la data di scadenza (GG/MM/AAAA)."))],
    )


def _identity(label, max_length=200):
    return StringField(label, validators=[Length(max=max_length)])


class IdentityForm(FlaskForm):
    """Who sells and who to call (pec.domain.seller judges the values)."""

    seller_name = _identity(_l("Ragione sociale del venditore"))
    seller_address = _identity(_l("Indirizzo della sede (via e numero)"))
    seller_postal_code = _identity(_l("CAP"), 20)
    seller_city = _identity(_l("Comune"))
    seller_province = _identity(_l("Provincia"), 40)
    seller_country = _identity(_l("Nazione (codice di 2 lettere)"), 40)
    seller_vat_number = _identity(_l("Partita IVA"), 40)
    seller_fiscal_code = _identity(_l("Codice fiscale"), 40)
    seller_pec = _identity(_l("PEC del venditore"), 254)
    contact_email = _identity(_l("E-mail dell'assistenza"), 254)
    contact_phone = _identity(_l("Telefono dell'assistenza"), 40)
    office_hours = _identity(_l("Orari dell'assistenza"))
    privacy_controller = _identity(_l("Titolare del trattamento dei dati (nome e contatti)"))
    dpo_contact = _identity(_l("Responsabile della protezione dei dati (DPO): contatto"))
    sender_name = _identity(_l("Nome del mittente delle e-mail"))
    sender_address = _identity(_l("Indirizzo del mittente delle e-mail"), 254)


class LogoForm(FlaskForm):
    logo = FileField(_l("Logo (PNG o JPEG, al massimo 6 KB)"))


class RefundForm(PlainForm):
    """Money paid back to the member (R12); the amount is parsed by parse_eur."""

    refund_amount = StringField(
        _l("Importo rimborsato (euro)"), validators=[DataRequired(_l("Inserisci l'importo."))]
    )
    refunded_on = DateField(
        _l("Data del rimborso"),
        validators=[InputRequired(_l("Inserisci la data del rimborso (GG/MM/AAAA)."))],
    )
    refund_reference = StringField(
        _l("Riferimento del rimborso (CRO/TRN del bonifico)"),
        validators=[DataRequired(_l("Inserisci il riferimento del rimborso.")), Length(max=100)],
    )
    refund_note = StringField(_l("Nota per l'iscritto (facoltativa)"), validators=[Length(max=500)])


class AcceptMoneyForm(PlainForm):
    """Money to refund that the convention keeps, with the reason (R12)."""

    accept_amount = StringField(
        _l("Importo trattenuto (euro)"), validators=[DataRequired(_l("Inserisci l'importo."))]
    )
    accept_reason = TextAreaField(
        _l("Motivo"),
        validators=[
            DataRequired(_l("Scrivi il motivo (resta nel registro attività).")),
            Length(max=1000),
        ],
    )
