"""The wizard's forms (docs/rules.md, member journey 5–7). Rules live in pec.domain.billing; here only the
mapping of its error codes to messages placed at their fields."""

import functools

from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice

from pec.domain import billing
from pec.labels import COUNTRY_LABEL
from pec.language import lazy_gettext as _l
from pec.plain_form import PlainForm
from pec.vocabulary import PersonType

ACCEPT, REFUSE = "yes", "no"


class ContractsForm(PlainForm):
    """One Accetto / Non accetto per current document; fields are added per convention."""

    def document_fields(self):
        return [f for f in self if f.name.startswith("doc_")]

    def accepted_ids(self) -> list[int]:
        return [int(f.name[4:]) for f in self.document_fields() if f.data == ACCEPT]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for f in self.document_fields():
            if f.data == REFUSE:
                f.errors.append(_l("Per proseguire devi accettare questo documento."))
                valid = False
            elif f.data != ACCEPT:
                f.errors.append(_l("Scegli Accetto o Non accetto."))
                valid = False
        return valid


def contracts_form(documents, accepted_ids=(), **kwargs) -> ContractsForm:
    """A form for these documents; `accepted_ids` are pre-selected (coming back)."""
    fields = tuple((doc.id, doc.title, doc.id in accepted_ids) for doc in documents)
    return _contracts_form_class(fields)(**kwargs)


@functools.lru_cache(maxsize=32)
def _contracts_form_class(fields: tuple) -> type[ContractsForm]:
    """The form class for (document id, title, pre-selected) triples. Kept per worker:
    making the class and its fields anew cost some 90 µs a request, half the form's
    cost; a convention has a few documents at a time, and the class holds no request
    data (labels are lazy, translated when shown)."""

    class _Form(ContractsForm):
        pass

    for doc_id, title, accepted in fields:
        field = RadioField(
            title,
            choices=[SelectChoice(ACCEPT, _l("Accetto")), SelectChoice(REFUSE, _l("Non accetto"))],
            validate_choice=False,
            default=ACCEPT if accepted else None,
        )
        setattr(_Form, f"doc_{doc_id}", field)
    return _Form


# The member's message at each field, for the codes of pec.domain.billing.
BILLING_MESSAGES = {
    billing.REQUIRED: _l("Campo obbligatorio."),
    billing.INVALID: _l("Valore non valido."),
}
FIELD_MESSAGES = {
    ("person_type", billing.INVALID): _l("Scegli Persona fisica, Libero professionista o Azienda."),
    ("fiscal_code", billing.INVALID): _l(
        "Il codice fiscale deve avere 16 caratteri (o 11 cifre se provvisorio)."
    ),
    ("fiscal_code", billing.CHECKSUM): _l(
        "Codice fiscale non valido: il carattere di controllo non corrisponde."
    ),
    ("fiscal_code", billing.COMPANY_CF): _l("Il codice fiscale di un'azienda ha 11 cifre."),
    ("vat_number", billing.REQUIRED): _l(
        "Indica la Partita IVA (obbligatoria per professionisti e aziende)."
    ),
    ("vat_number", billing.INVALID): _l("La Partita IVA ha 11 cifre."),
    ("vat_number", billing.CHECKSUM): _l(
        "Partita IVA non valida: la cifra di controllo non corrisponde."
    ),
    ("einvoice_recipient", billing.REQUIRED): _l(
        "Indica il codice destinatario SDI o l'indirizzo PEC per la fattura elettronica."
    ),
    ("einvoice_recipient", billing.INVALID): _l(
        "Scrivi un codice SDI di 7 caratteri oppure un indirizzo PEC valido."
    ),
    ("postal_code", billing.CAP): _l("Il CAP è formato da 5 cifre."),
    ("province", billing.INVALID): _l("Scrivi la sigla di 2 lettere della provincia, ad es. RM."),
    ("province", billing.PROVINCE): _l(
        "Sigla di provincia inesistente: usa la sigla di 2 lettere, ad es. RM."
    ),
    ("email", billing.INVALID): _l("Indirizzo e-mail non valido."),
    ("phone", billing.INVALID): _l("Numero di telefono non valido."),
    ("fax", billing.INVALID): _l("Numero di fax non valido."),
}


class BillingForm(PlainForm):
    """Dati di fatturazione; validation by pec.domain.billing.validate."""

    person_type = RadioField(
        _l("Tipo di cliente"),
        choices=[
            SelectChoice(PersonType.PERSON, _l("Persona fisica")),
            SelectChoice(PersonType.PROFESSIONAL, _l("Libero professionista")),
            SelectChoice(PersonType.COMPANY, _l("Azienda")),
        ],
        default=PersonType.PERSON,
        validate_choice=False,
    )
    fiscal_code = StringField(_l("Codice Fiscale"))
    first_name = StringField(_l("Nome"))
    last_name = StringField(_l("Cognome"))
    company_name = StringField(_l("Ragione sociale"))
    vat_number = StringField(_l("Partita IVA"))
    einvoice_recipient = StringField(_l("Codice destinatario SDI o PEC"))
    address = StringField(_l("Indirizzo"))
    postal_code = StringField(_l("CAP"))
    city = StringField(_l("Comune"))
    province = StringField(_l("Provincia"))
    country = StringField(COUNTRY_LABEL, default=billing.ITALY)
    phone = StringField(_l("Telefono"))
    fax = StringField(_l("Fax (facoltativo)"))
    email = StringField(_l("Email"))

    def data_for_domain(self) -> billing.BillingData:
        return billing.normalise({name: self[name].data for name in billing.FIELD_NAMES})

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        problems = billing.validate(self.data_for_domain())
        for name, code in problems.items():
            if code == billing.TOO_LONG:
                message = _l("Al massimo %(n)d caratteri.", n=billing.MAX_LENGTHS[name])
            else:
                message = FIELD_MESSAGES.get((name, code)) or BILLING_MESSAGES.get(
                    code, BILLING_MESSAGES["invalid"]
                )
            self[name].errors.append(message)
        return valid and not problems


def billing_form(data: billing.BillingData | None, **kwargs) -> BillingForm:
    """The form prefilled with `data` (the order's snapshot, else the holder's)."""
    if data is None:
        return BillingForm(**kwargs)
    values = data.snapshot()
    return BillingForm(**values, **kwargs)


class PaymentForm(PlainForm):
    method = RadioField(_l("Modalità di pagamento"), choices=[], validate_choice=False)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.method.data not in [choice.value for choice in self.method.choices]:
            self.method.errors.append(_l("Scegli una modalità di pagamento."))
            valid = False
        return valid


def payment_form(methods, labels, selected=None, **kwargs) -> PaymentForm:
    form = PaymentForm(**kwargs)
    form.method.choices = [SelectChoice(m, labels[m]) for m in methods]
    if "formdata" in kwargs and kwargs["formdata"] is None:  # shown, not submitted
        form.method.data = selected
    return form
