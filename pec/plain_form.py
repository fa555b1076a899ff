"""The base of a form whose template writes the CSRF token itself."""

from flask_wtf import FlaskForm


class PlainForm(FlaskForm):
    """A form without Flask-WTF's own CSRF field. CSRFProtect (pec.extensions) checks
    every POST before any view, against the token the template writes as a plain hidden
    input, so the form's field would only check it a second time. Leaving it out keeps
    field ids unique on a page with several forms (the operators' order page), and saves
    building it, some 20 µs, on every page that shows the form (the wizard's steps)."""

    class Meta:
        csrf = False
