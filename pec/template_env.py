"""The Jinja environment of the app: Flask's, with each template's globals a plain dict.

Jinja 3 gives every template a `ChainMap` of its own globals over the environment's, so
that a change to the environment's globals shows in templates already loaded. Python
walks a ChainMap key by key: each rendering copies the globals into its context (some 15
µs for our fifty: `url_for`, `_`, the filters' helpers, the vocabulary), and each
`{% from … import %}` compares them with the imported template's (some 20 µs more). A
wizard step pays both, about 6 % of its time.

Here a template's globals are a dict: the environment's as they are when the template is
loaded, with the template's own over them (changing them still changes that template
alone). The app sets every global in `create_app`, before any template is loaded, as
Jinja's documentation asks ("avoid modifying any globals after a template is loaded");
a global added later would not be seen by a template loaded before it.
"""

from flask.templating import Environment


class TemplateEnvironment(Environment):
    def make_globals(self, d):
        return {**self.globals, **(d or {})}
