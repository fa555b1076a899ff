"""Can accounts be enumerated by timing? Median answer times of the login and of the
recovery for identifiers that exist and for unknown ones, over HTTP to the served app.

  .venv/bin/python bench/login_timing.py [--tries 50]

The app runs on demo data in a temporary folder (rate limits off, so every try is a real
attempt). Tries are interleaved (existing, unknown, existing, …) so a slow moment of
the machine weighs on both sides alike. Login always verifies two argon2 hashes
(pec.domain.accounts.VERIFICATIONS_PER_LOGIN) whatever it finds; the medians should
differ by well under 5 ms.
"""

import argparse
import http.cookiejar
import logging
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.serving import make_server  # noqa: E402

from pec import create_app, database  # noqa: E402
from pec.database import db  # noqa: E402
from pec.demo import load_demo  # noqa: E402
from pec.domain import clock  # noqa: E402

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Visitor:
    def __init__(self, base: str):
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), NoRedirect()
        )
        with self.opener.open(base + "/login") as response:
            self.token = CSRF.search(response.read().decode()).group(1)

    def post(self, path: str, data: dict) -> tuple[int, float]:
        body = urllib.parse.urlencode(dict(data, csrf_token=self.token)).encode()
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, body) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            error.read()
            status = error.code
        return status, (time.perf_counter() - started) * 1000


def serve(folder: str) -> str:
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "PEC_DATABASE_URL": f"sqlite:///{folder}/pec.sqlite3",
            "PEC_DOCUMENTS_DIR": f"{folder}/documents",
            "PEC_SCHEDULER": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    database.migrate()
    with db.connection_context():
        load_demo(clock.today())
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def measure(base: str, path: str, field: str, known: list[str], tries: int, **extra) -> dict:
    visitor = Visitor(base)
    times: dict[str, list[float]] = {"existing": [], "unknown": []}
    for i in range(tries):
        for side in ("existing", "unknown"):
            identifier = known[i % len(known)] if side == "existing" else f"nobody{i}@example.org"
            _status, ms = visitor.post(path, {field: identifier, **extra})
            times[side].append(ms)
    return {side: statistics.median(values) for side, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = serve(folder)
        known = ["mario.rossi@example.org", "anna.bianchi@pec.demo.it", "mario.rossi@pec.demo.it"]
        measure(base, "/login", "identifier", known, 3, password="warm-up")  # warm up
        results = {
            "login (wrong password)": measure(
                base, "/login", "identifier", known, args.tries, password="not-the-password"
            ),
            # Recovery answers no sooner than PEC_ACCESS_ANSWER_SECONDS (pec.auth.timing);
            # its first tries write e-mails, later ones meet the hourly cap per account.
            "recovery": measure(base, "/recover", "identifier", known, args.tries),
        }
    print(f"median of {args.tries} tries each, ms (existing identifiers vs unknown ones)")
    for name, medians in results.items():
        gap = medians["existing"] - medians["unknown"]
        print(
            f"  {name:24} existing {medians['existing']:7.2f}  unknown {medians['unknown']:7.2f}"
            f"  difference {gap:+6.2f}"
        )


if __name__ == "__main__":
    main()
