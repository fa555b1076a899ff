"""Every user-visible string is translatable and translated (Italian source, English catalog)."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "pec/translations/en/LC_MESSAGES/messages.po"


def extracted_ids(tmp_path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from babel.messages.frontend import main; main()",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with open(pot, "rb") as fh:
        return {_forms(m.id)[0] for m in read_po(fh) if m.id}


def test_every_string_in_code_and_templates_has_an_english_translation(tmp_path):
    with open(CATALOG, "rb") as fh:
        catalog = {_forms(m.id)[0]: _forms(m.string) for m in read_po(fh) if m.id}
    extracted = extracted_ids(tmp_path)
    # Every template is read: a template the extractor cannot parse (a tag of an extension
    # babel.cfg does not name) would give no strings at all.
    assert "Lingua e sessione" in extracted and "Vai al contenuto" in extracted
    missing = sorted(mid for mid in extracted if not all(catalog.get(mid, ("",))))
    assert not missing, "run `make extract-messages` and translate: " + repr(missing[:20])


def _forms(value) -> tuple:
    """A catalog id or string as a tuple of forms (plural entries have several)."""
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def test_placeholders_survive_translation():
    import re

    def names(text):
        return sorted(set(re.findall(r"%\(\w+\)\w", text)))

    with open(CATALOG, "rb") as fh:
        for m in read_po(fh):
            if not m.id:
                continue
            expected = names(" ".join(_forms(m.id)))
            for form in _forms(m.string):
                assert form, f"untranslated plural form: {m.id!r}"
                assert names(form) == expected, m.id


def test_dates_are_shown_as_dd_mm_yyyy_in_both_languages(member, demo):
    member.login()
    italian = member.client.get("/mailboxes/").get_data(as_text=True)
    member.post("/language", {"lang": "en"})
    english = member.client.get("/mailboxes/").get_data(as_text=True)
    assert "30/03/2026" in italian and "30/03/2026" in english


def test_the_mailbox_list_shows_its_statuses_in_the_members_language(member, demo):
    """The status words (lazy labels, translated where they are shown) follow the
    language of the page, back and forth."""
    member.login()
    italian = member.client.get("/mailboxes/").get_data(as_text=True)
    member.post("/language", {"lang": "en"})
    english = member.client.get("/mailboxes/").get_data(as_text=True)
    member.post("/language", {"lang": "it"})
    again = member.client.get("/mailboxes/").get_data(as_text=True)
    assert ">In scadenza</span>" in italian and ">Expiring</span>" not in italian
    assert ">Expiring</span>" in english and ">In scadenza</span>" not in english
    assert ">In scadenza</span>" in again


def test_the_kept_language_answers_what_flask_babel_answers(app):
    """pec.language keeps the locale and catalogue on `g` and reads Flask-Babel's own
    state to see when `force_locale` swaps them: in a request, under `force_locale`
    (an e-mail in another language) and after it, in a job's application context, and
    outside any application, it answers what Flask-Babel answers. An upgrade of
    Flask-Babel that changed how `force_locale` swaps the locale fails here."""
    import flask_babel
    from flask import session

    from pec.language import current_language, gettext, lazy_gettext

    label = lazy_gettext("Prosegui")

    def same_as_flask_babel(expected_language, expected_text):
        assert current_language() == str(flask_babel.get_locale()) == expected_language
        assert gettext("Prosegui") == flask_babel.gettext("Prosegui") == expected_text
        assert str(label) == expected_text
        template = "{{ current_language() }} {{ _('Prosegui') }} {{ label }}"
        rendered = app.jinja_env.from_string(template).render(label=label)
        assert rendered == f"{expected_language} {expected_text} {expected_text}"

    with app.test_request_context("/"):
        session["lang"] = "en"  # the member's choice, read by the locale selector
        same_as_flask_babel("en", "Continue")  # asked before Flask-Babel was
        with flask_babel.force_locale("it"):
            same_as_flask_babel("it", "Prosegui")
            with flask_babel.force_locale("en"):
                same_as_flask_babel("en", "Continue")
            same_as_flask_babel("it", "Prosegui")
        same_as_flask_babel("en", "Continue")

    with app.test_request_context("/"):  # a new request starts from its own choice
        with flask_babel.force_locale("en"):  # forced before anything asked
            same_as_flask_babel("en", "Continue")
        same_as_flask_babel("it", "Prosegui")

    with app.app_context():  # a job: Italian unless an e-mail forces its language
        same_as_flask_babel("it", "Prosegui")
        with flask_babel.force_locale("en"):
            same_as_flask_babel("en", "Continue")

    # Outside any application (a module's words at import): the source text.
    assert current_language() == "it"
    assert gettext("Prosegui %(n)s", n=1) == "Prosegui 1"
    assert str(label) == "Prosegui"


def test_template_strings_escape_as_their_block_says_in_loops_too(app):
    """`_()` and `ngettext()` in templates mark the translation safe and escape the values
    put into it where autoescaping is on (HTML pages and e-mails), and leave both as they
    are where it is off (a text e-mail, an `{% autoescape false %}` block), also inside a
    loop, where Jinja calls them with the loop's variables."""
    from flask import session

    template = app.jinja_env.from_string(
        "{% for a in addresses %}[{{ _('Rinnova %(address)s', address=a) }}]{% endfor %}"
        "{% autoescape false %}{% for a in addresses %}"
        "[{{ _('Rinnova %(address)s', address=a) }}]{% endfor %}{% endautoescape %}"
        "[{{ ngettext('%(num)d account nuovo', '%(num)d account nuovi', 2) }}]"
    )
    addresses = ["a&b@pec.it", "<c>@pec.it"]
    with app.test_request_context("/"):
        italian = template.render(addresses=addresses)
    with app.test_request_context("/"):
        session["lang"] = "en"
        english = template.render(addresses=addresses)
    assert italian == (
        "[Rinnova a&amp;b@pec.it][Rinnova &lt;c&gt;@pec.it]"
        "[Rinnova a&b@pec.it][Rinnova <c>@pec.it][2 account nuovi]"
    )
    assert english == (
        "[Renew a&amp;b@pec.it][Renew &lt;c&gt;@pec.it]"
        "[Renew a&b@pec.it][Renew <c>@pec.it][2 new accounts]"
    )


def test_a_calendar_date_reads_alike_in_every_language_so_it_is_kept_by_date_alone(app):
    """pec.web keeps a date's text per date, not per language: right only while Babel
    writes the pattern alike in every language the portal speaks. A pattern with a
    month's name would fail here, and need the language back in the key."""
    import datetime as dt

    from babel.dates import format_date as babel_format_date

    from pec.web import DATE_PATTERN, format_date

    day = dt.date(2026, 3, 30)
    for language in app.config["PEC_LANGUAGES"]:
        assert babel_format_date(day, DATE_PATTERN, locale=language) == "30/03/2026"
    with app.test_request_context():
        assert format_date(day) == "30/03/2026"
