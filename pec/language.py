"""The language a page or an e-mail is being written in, and its translations: one home
for what every translated string, amount and date asks.

Flask-Babel answers `get_locale()` and `gettext()` by finding its state on `g` anew each
time (three trips through the `g` proxy, then the locale's identifier or the domain's
cache), some 2 to 7 µs a call. A page asks 30 to 150 times: each string in a template,
each lazy label of a form, each amount and date. Here the answer is kept on `g` for as
long as the locale stays the same object, which is for the whole request unless
`force_locale` (an e-mail in the member's language) swaps it, and then only until it
swaps it back.

The locale is read where Flask-Babel 4.0 keeps it (`g._flask_babel.babel_locale`, which
`get_locale()` fills and `force_locale()` swaps); when it is not there yet, `get_locale()`
is asked and fills it: if an upgrade moved that state, every call would ask, slower
but right. tests/test_i18n.py checks these answers against Flask-Babel's own in a
request, under `force_locale` and in a job's application context, so an upgrade that
changed what the state means fails a test rather than a page.

The catalogue kept is the default domain's, which is the only one the portal has: a
second translation domain made current mid-request would not be seen here."""

from flask import g, has_app_context
from flask_babel import get_locale, get_translations
from flask_babel import gettext as babel_gettext
from flask_babel.speaklater import LazyString

DEFAULT = "it"


def _state() -> tuple:
    """(the locale, its identifier, its translations) for the current application
    context, which must exist."""
    current = g._get_current_object()
    babel = current.__dict__.get("_flask_babel")
    locale = getattr(babel, "babel_locale", None)
    if locale is None:
        locale = get_locale()
    state = current.__dict__.get("_pec_language")
    if state is None or state[0] is not locale:
        identifier = str(locale) if locale is not None else DEFAULT
        state = current._pec_language = (locale, identifier, get_translations())
    return state


def current_language() -> str:
    """The current language's identifier ("it", "en"); Italian outside any application."""
    return _state()[1] if has_app_context() else DEFAULT


def translations():
    """The current language's gettext catalogue (an application context must exist)."""
    return _state()[2]


def gettext(string: str, **variables) -> str:
    """`flask_babel.gettext`, answered from the kept state."""
    if not has_app_context():
        return babel_gettext(string, **variables)
    text = _state()[2].ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    """`flask_babel.lazy_gettext` (the same LazyString), translated through `gettext`
    above whenever it is shown: form labels and module-level words, translated in the
    language of the page or e-mail that shows them."""
    return LazyString(gettext, string, **variables)
