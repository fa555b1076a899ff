"""pec.form_rendering writes form attributes exactly as WTForms' own html_params."""

import pytest
from markupsafe import Markup

from pec import form_rendering

CASES = [
    {},
    {"name": "identifier", "id": "identifier", "type": "text", "value": ""},
    {"class_": "big", "for_": "x", "required": True, "disabled": False},
    {"data_hx_target": "#panel", "aria_describedby": "a-hint a-error", "aria_invalid": "true"},
    {"value": 'say "hi" <b>&amp; co</b>', "title": "l'ordine"},
    {"value": Markup("<i>già sicuro</i>"), "placeholder": Markup('"x"')},
    {"maxlength": 254, "min": 0, "step": 0.5, "autocomplete": None},
    {"checked": True, "name": "doc_1", "value": "yes", "id": "doc_1-0"},
    {"inputmode": "email", "autocomplete": "username", "spellcheck": "false"},
    {"x": "è \u00a0 ünïcode ✓", "y": "\n\t"},
]


@pytest.mark.parametrize("kwargs", CASES)
def test_the_same_attributes_as_wtforms(kwargs):
    ours = form_rendering.html_params(**kwargs)
    theirs = form_rendering._library_html_params(**kwargs)
    assert ours == theirs
    assert isinstance(ours, Markup)


def test_the_widgets_use_it_once_installed(app):
    from wtforms.widgets import core

    assert core.html_params is form_rendering.html_params
    assert core.Input.html_params is form_rendering.html_params


# The Jinja macro `field` was before it moved to Python (pec.form_rendering.field): the
# reference its output is compared with, byte for byte.
FIELD_MACRO = """{% macro field(f, hint=None, autocomplete=None, inputmode=None, class_="") -%}
{%- set described = [] -%}
{%- if hint %}{% set _ = described.append(f.id ~ "-hint") %}{% endif -%}
{%- if f.errors %}{% set _ = described.append(f.id ~ "-error") %}{% endif -%}
<div class="field{% if f.errors %} has-error{% endif %} {{ class_ }}">
  {{ f.label() }}
  {%- if hint %}<small id="{{ f.id }}-hint" class="hint">{{ hint }}</small>{% endif %}
  {%- if f.errors %}<span id="{{ f.id }}-error" class="error">{{ f.errors[0] }}</span>{% endif %}
  {%- set attrs = {} -%}
  {%- if autocomplete %}{% set _ = attrs.update(autocomplete=autocomplete) %}{% endif -%}
  {%- if inputmode %}{% set _ = attrs.update(inputmode=inputmode) %}{% endif -%}
  {%- if f.errors %}{% set _ = attrs.update({"aria-invalid": "true"}) %}{% endif -%}
  {%- if described %}{% set _ = attrs.update({"aria-describedby": described|join(" ")}) %}{% endif %}
  {{ f(**attrs) }}
</div>
{%- endmacro %}"""

FIELD_CASES = [
    {},
    {"hint": "Un <aiuto> & altro"},
    {"hint": Markup("già <em>sicuro</em>"), "autocomplete": "off", "inputmode": "tel"},
    {"autocomplete": "username", "inputmode": "email", "class_": "wide"},
    {"class_": 'a"b'},
]


@pytest.mark.parametrize("errors", [[], ["Obbligatorio & <b>basta</b>", "secondo"]])
@pytest.mark.parametrize("options", FIELD_CASES)
def test_a_field_is_written_as_the_macro_wrote_it(app, options, errors):
    from flask_wtf import FlaskForm
    from wtforms import BooleanField, PasswordField, SelectField, StringField
    from wtforms.fields.choices import SelectChoice
    from wtforms.validators import InputRequired, Length
    from wtforms.widgets import TextInput

    class Form(FlaskForm):
        class Meta:
            csrf = False

        name = StringField("Nome <e> cognome")
        choice = SelectField(
            "Scelta", choices=[SelectChoice("a", "A & B"), SelectChoice("b", "<b>")]
        )
        agree = BooleanField("Accetto")
        # Written by pec.form_rendering itself (a plain text input, here with no data)
        # or left to the widget (flags from validators, render_kw, another widget):
        empty = StringField("Vuoto")
        required = StringField("Obbligatorio", validators=[InputRequired(), Length(max=5)])
        styled = StringField("Stile", render_kw={"class": "x", "data-a": "1"})
        secret = PasswordField("Password")
        phone = StringField("Telefono", widget=TextInput(input_type="tel"))

    macro = app.jinja_env.from_string(FIELD_MACRO + "{{ field(f, **options) }}")
    with app.test_request_context("/", method="POST", data={"name": 'Ann "a" <x>'}):
        form = Form()
        for f in form:
            f.errors = list(errors)
            ours = app.jinja_env.from_string("{{ field(f, **options) }}").render(
                f=f, options=options
            )
            assert ours == macro.render(f=f, options=options)


# The Jinja macro `radios` (templates/renewal/_parts.html) before it moved to Python.
RADIOS_MACRO = """{% macro radios(f, legend, details=None, class_="") -%}
<fieldset class="radios{% if f.errors %} has-error{% endif %} {{ class_ }}">
  <legend>{{ legend }}</legend>
  {% if f.errors %}<span id="{{ f.id }}-error" class="error">{{ f.errors[0] }}</span>{% endif %}
  {% for choice in f.choices %}{% set value, label = choice.value, choice.label %}
  {%- set described = [] -%}
  {%- if f.errors %}{% set _x = described.append(f.id ~ "-error") %}{% endif -%}
  {%- if details and details.get(value) %}{% set _x = described.append(f.id ~ "-" ~ value ~ "-detail") %}{% endif %}
  <div class="choice">
    <input type="radio" id="{{ f.id }}-{{ value }}" name="{{ f.name }}" value="{{ value }}"{% if f.data == value %} checked{% endif %}{% if described %} aria-describedby="{{ described|join(' ') }}"{% endif %}{% if f.errors %} aria-invalid="true"{% endif %}>
    <label for="{{ f.id }}-{{ value }}">{{ label }}</label>
    {% if details and details.get(value) %}<small id="{{ f.id }}-{{ value }}-detail" class="hint">{{ details[value] }}</small>{% endif %}
  </div>
  {% endfor %}
</fieldset>
{%- endmacro %}"""

RADIOS_CASES = [
    {"legend": "Scegli come pagare"},
    {"legend": Markup("La tua risposta: <em>Condizioni</em>"), "class_": "inline-choices"},
    {"legend": "Tipo & <x>", "details": {"a": "Un aiuto & <b>", "c": ""}},
    {"legend": "L", "details": {"b": Markup("già <em>sicuro</em>")}, "class_": 'a"b'},
]


@pytest.mark.parametrize("data", [{}, {"pick": "b"}, {"pick": "<z>"}])
@pytest.mark.parametrize("errors", [[], ["Scegli una risposta & <b>basta</b>"]])
@pytest.mark.parametrize("options", RADIOS_CASES)
def test_radios_are_written_as_the_macro_wrote_them(app, options, errors, data):
    from flask_wtf import FlaskForm
    from wtforms import RadioField
    from wtforms.fields.choices import SelectChoice

    from pec.vocabulary import PaymentMethod

    class Form(FlaskForm):
        class Meta:
            csrf = False

        pick = RadioField(
            "Scelta",
            choices=[SelectChoice("a", "A & B"), SelectChoice("b", "<b>"), SelectChoice("c", "C")],
        )
        method = RadioField(
            "Metodo",
            choices=[SelectChoice(m, m.name) for m in PaymentMethod],
            coerce=PaymentMethod,
        )

    macro = app.jinja_env.from_string(RADIOS_MACRO + "{{ radios(f, **options) }}")
    ours = app.jinja_env.from_string("{{ radios(f, **options) }}")
    with app.test_request_context("/", method="POST", data=data):
        form = Form()
        form.method.data = list(PaymentMethod)[0]
        for f in (form.pick, form.method):
            f.errors = list(errors)
            assert ours.render(f=f, options=options) == macro.render(f=f, options=options)
