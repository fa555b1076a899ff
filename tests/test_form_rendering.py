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
