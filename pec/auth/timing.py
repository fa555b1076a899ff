"""The same answer time for recovery and first access, found or not (no enumeration).

For a real account the request writes a token and an e-mail: rendering it and, on
SQLite, the commit and the checkpoint when the connection closes cost tens of
milliseconds that an unknown identifier never spends. Equal work is impractical, so
these answers leave only once PEC_ACCESS_ANSWER_SECONDS have passed since the request
came in, measured around the whole Flask call (view, teardown and connection close).
"""

import time


class AnswerFloor:
    """WSGI middleware: POSTs to `paths` return no sooner than the configured floor."""

    def __init__(self, app, wsgi_app, paths: tuple[str, ...]):
        self.app = app
        self.wsgi_app = wsgi_app
        self.paths = frozenset(paths)

    @classmethod
    def install(cls, app, paths: tuple[str, ...]) -> None:
        app.wsgi_app = cls(app, app.wsgi_app, paths)

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") not in self.paths:
            return self.wsgi_app(environ, start_response)
        started = time.monotonic()
        # Flask runs the view and tears the request down inside this call; a WSGI server
        # sends nothing before the body is iterated, so the wait happens before any byte.
        response = self.wsgi_app(environ, start_response)
        floor = self.app.config["PEC_ACCESS_ANSWER_SECONDS"]
        time.sleep(max(0.0, floor - (time.monotonic() - started)))
        return response
