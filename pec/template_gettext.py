"""`_()`, `gettext` and `ngettext` in templates: what Jinja's i18n extension and
Flask-Babel install, in one call instead of five.

Flask-Babel's callables find the request's translations anew for every string (the
babel state on `g`, the domain, the locale's identifier, a cache lookup), and Jinja's
"newstyle" wrappers then call them through two more `Context.call`s: about 14 µs a
string, and a page shows 30 to 80 of them. Here the translations are those kept per
request and language by pec.language (a language forced for an e-mail is another
language), and the result is what the newstyle wrappers give: the translation, marked
safe when the template autoescapes, always %-formatted with the keyword arguments
(escaped).

They take the evaluation context (`pass_eval_context`), which holds the autoescape
setting, not the whole context as the newstyle wrappers do: a callable that takes the
context is given, inside a loop or a block with its own variables, a new context
derived with them on each call (jinja2.runtime.Context.call), some 4 µs a string, and a
list's rows call `_()` several times each."""

from jinja2 import pass_eval_context
from markupsafe import Markup, escape

from pec.language import translations


@pass_eval_context
def gettext(eval_ctx, string: str, **variables):
    text = translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    # Most strings have no placeholder: `% {}` would give the same text back, at a cost.
    return text % variables if variables or "%" in text else text


def markup_gettext(string: str, **variables) -> Markup:
    """What `_()` writes in an HTML template, for HTML written in Python
    (pec.mailboxes.rows): the translation, trusted, with the values escaped."""
    text = Markup(translations().ugettext(string))
    return text % variables if variables or "%" in text else text


@pass_eval_context
def ngettext(eval_ctx, singular: str, plural: str, num: int, **variables):
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def fill(text, **values) -> Markup:
    """`text`, a string a page translated once with its placeholders left in it
    (`_("Rinnova %(address)s", address="%(address)s")`), with each `%(name)s` replaced by
    its value, escaped: what `_()` with the value would give, for a list's rows
    (pec.mailboxes.rows). Markup's `%` gives the same, in three times the time (it
    escapes each argument through a helper object); a row of Gestione PEC fills two."""
    filled = str(text)
    for name, value in values.items():
        filled = filled.replace(f"%({name})s", escape(value))
    return Markup(filled)


def install(app) -> None:
    """Replace the extension's callables (after Flask-Babel installed its own)."""
    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)
