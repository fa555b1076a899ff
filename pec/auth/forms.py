from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from pec.domain.accounts import MAX_IDENTIFIER_LENGTH
from pec.language import lazy_gettext as _l

MIN_PASSWORD_LENGTH = 10
# A password longer than this is refused before hashing (argon2 would hash it, slowly).
MAX_PASSWORD_LENGTH = 256


class LoginForm(FlaskForm):
    identifier = StringField(
        _l("Login o indirizzo PEC"),
        validators=[
            DataRequired(_l("Inserisci il login o l'indirizzo PEC.")),
            Length(max=MAX_IDENTIFIER_LENGTH, message=_l("Il dato inserito è troppo lungo.")),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Inserisci la password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("La password è troppo lunga.")),
        ],
    )


class RecoverForm(FlaskForm):
    """Recovery, first access and a new personal link: one identifier of the holder."""

    identifier = StringField(
        _l("Login, indirizzo PEC, e-mail di riferimento o codice fiscale"),
        validators=[
            DataRequired(_l("Inserisci il login, l'indirizzo PEC, l'e-mail o il codice fiscale.")),
            Length(max=MAX_IDENTIFIER_LENGTH, message=_l("Il dato inserito è troppo lungo.")),
        ],
    )


class ResetForm(FlaskForm):
    password = PasswordField(
        _l("Nuova password"),
        validators=[
            DataRequired(_l("Inserisci la nuova password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l("La password deve avere almeno %(n)d caratteri.", n=MIN_PASSWORD_LENGTH),
            ),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("La password è troppo lunga.")),
        ],
    )
    confirm = PasswordField(
        _l("Ripeti la nuova password"),
        validators=[EqualTo("password", _l("Le due password non coincidono."))],
    )
