"""WTForms' `html_params`, the same attributes written without `Markup.format`.

Every form field a page shows writes its attributes through `html_params`, which builds
each `name="value"` pair with `Markup("...").format()`: markupsafe's escaping string
formatter, pure Python, about 10 µs a pair. The billing step writes some hundred pairs.
This function writes the same bytes (keys sorted, `True` as a bare attribute, `False`
left out, values escaped and `"` as `&quot;`) with plain string joins, and replaces the
library's for the widgets that call it. tests/test_form_rendering.py checks the two agree."""

from markupsafe import Markup, escape
from wtforms.widgets import core

_library_html_params = core.html_params
_QUOTE = Markup('"')
_ESCAPED_QUOTE = Markup("&quot;")


def html_params(**kwargs) -> Markup:
    params = []
    for key, value in sorted(kwargs.items()):
        key = escape(core.clean_key(key))
        if value is True:
            params.append(key)
        elif value is not False:
            params.append(f'{key}="{escape(value).replace(_QUOTE, _ESCAPED_QUOTE)}"')
    return Markup(" ".join(params))


def install() -> None:
    """Inputs and buttons call it as their class attribute, the other widgets as the
    module's function."""
    core.html_params = html_params
    core.Input.html_params = staticmethod(html_params)
    core.Button.html_params = staticmethod(html_params)
