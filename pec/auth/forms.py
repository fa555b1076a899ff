from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

MIN_PASSWORD_LENGTH = 10


class LoginForm(FlaskForm):
    identifier = StringField(
        _l("Login o indirizzo PEC"),
        validators=[DataRequired(_l("Inserisci il login o l'indirizzo PEC."))],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Inserisci la password."))]
    )


class RecoverForm(FlaskForm):
    identifier = StringField(
        _l("Login o indirizzo PEC"),
        validators=[DataRequired(_l("Inserisci il login o l'indirizzo PEC."))],
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
        ],
    )
    confirm = PasswordField(
        _l("Ripeti la nuova password"),
        validators=[EqualTo("password", _l("Le due password non coincidono."))],
    )
