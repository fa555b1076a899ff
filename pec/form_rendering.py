"""How form fields are written: `field` and `radios` for templates, and WTForms'
`html_params` without `Markup.format`.

Every form field a page shows writes its attributes through `html_params`, which builds
each `name="value"` pair with `Markup("...").format()`: markupsafe's escaping string
formatter, pure Python, about 10 µs a pair. The billing step writes some hundred pairs.
This function writes the same bytes (keys sorted, `True` as a bare attribute, `False`
left out, values escaped and `"` as `&quot;`) with plain string joins, and replaces the
library's for the widgets that call it. tests/test_form_rendering.py checks the two agree,
and that `field` and `radios` write what the Jinja macros they replace wrote."""

from markupsafe import Markup, escape
from wtforms.widgets import core

_library_html_params = core.html_params


def html_params(**kwargs) -> Markup:
    params = []
    for key, value in sorted(kwargs.items()):
        key = escape(core.clean_key(key))
        if value is True:
            params.append(key)
        elif value is not False:
            params.append(f'{key}="{_attribute(value)}"')
    return Markup(" ".join(params))


def _attribute(value) -> str:
    # escape() already writes `"` as &#34;: a quote left is from a value that was Markup
    # already, which WTForms writes as &quot; (plain str replace: the same).
    return str(escape(value)).replace('"', "&quot;")


def install() -> None:
    """Inputs and buttons call it as their class attribute, the other widgets as the
    module's function."""
    core.html_params = html_params
    core.Input.html_params = staticmethod(html_params)
    core.Button.html_params = staticmethod(html_params)


def field(f, hint=None, autocomplete=None, inputmode=None, class_="") -> Markup:
    """A form field with its label, hint and error tied together (WCAG 1.3.1, 3.3.1):
    `{{ field(form.x, hint=…, autocomplete=…, inputmode=…, class_=…) }}` in a template.

    Written in Python rather than as a Jinja macro: a macro call with its `set`s and
    dict updates cost more than the field's own widget, and the billing step shows a
    dozen fields. tests/test_form_rendering.py checks it writes what the macro wrote."""
    error = f.errors[0] if f.errors else None
    described = []
    attrs = {}
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    if inputmode:
        attrs["inputmode"] = inputmode
    field_id = escape(f.id)
    parts = [
        f'<div class="field{" has-error" if error is not None else ""} {escape(class_)}">\n  ',
        # What f.label() writes, without its trip through html_params.
        f'<label for="{field_id}">{escape(f.label.text)}</label>',
    ]
    if hint:
        parts.append(f'<small id="{field_id}-hint" class="hint">{escape(hint)}</small>')
        described.append(f"{f.id}-hint")
    if error is not None:
        parts.append(f'<span id="{field_id}-error" class="error">{escape(error)}</span>')
        described.append(f"{f.id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    parts += ["\n  ", _input(f, attrs), "\n</div>"]
    return Markup("".join(parts))


def _input(f, attrs: dict) -> Markup:
    """`f(**attrs)`. A plain text input is written here as its widget writes it: the
    widget lists the field's flags with dir() and goes through WTForms' meta on every
    call, some 8 µs a field (the billing step shows fourteen). Anything else (another
    widget, flags from validators, render_kw, a datalist) is the widget's to write."""
    if (
        type(f.widget) is not core.TextInput
        or f.widget.input_type != "text"
        or f.render_kw
        or vars(f.flags)
        or getattr(f, "_datalist", None) is not None
    ):
        return f(**attrs)
    attrs |= {"name": f.name, "id": f.id, "type": "text", "value": f._value()}
    # What html_params writes for these: the keys are ours (no key to clean or escape)
    # and every value is text.
    params = " ".join(f'{key}="{_attribute(value)}"' for key, value in sorted(attrs.items()))
    return Markup(f"<input {params}>")


def radios(f, legend, details=None, class_="") -> Markup:
    """A group of radio buttons with its legend and error tied to it (WCAG 1.3.1, 3.3.1),
    and an optional hint per choice (`details`: value → text). In Python for the same
    reason as `field` (the contracts step shows three groups); the test compares it with
    the macro it replaces."""
    error = f.errors[0] if f.errors else None
    field_id, name = escape(f.id), escape(f.name)
    parts = [
        f'<fieldset class="radios{" has-error" if error is not None else ""} {escape(class_)}">'
        f"\n  <legend>{escape(legend)}</legend>\n  "
    ]
    if error is not None:
        parts.append(f'<span id="{field_id}-error" class="error">{escape(error)}</span>')
    parts.append("\n  ")
    for choice in f.choices:
        value = escape(choice.value)
        detail = details.get(choice.value) if details else None
        described = [f"{f.id}-error"] if error is not None else []
        if detail:
            described.append(f"{f.id}-{choice.value}-detail")
        attributes = " checked" if f.data == choice.value else ""
        if described:
            attributes += f' aria-describedby="{escape(" ".join(described))}"'
        if error is not None:
            attributes += ' aria-invalid="true"'
        parts.append(
            f'\n  <div class="choice">\n    <input type="radio" id="{field_id}-{value}" '
            f'name="{name}" value="{value}"{attributes}>'
            f'\n    <label for="{field_id}-{value}">{escape(choice.label)}</label>\n    '
        )
        if detail:
            parts.append(
                f'<small id="{field_id}-{value}-detail" class="hint">{escape(detail)}</small>'
            )
        parts.append("\n  </div>\n  ")
    parts.append("\n</fieldset>")
    return Markup("".join(parts))
