"""The roster import's checking cost: a dry run of an N-line roster (every line a new
mailbox of a new holder, as in a first import), timed, with the share spent validating
e-mail addresses.

  .venv/bin/python bench/roster_profile.py [--lines 5000]
"""

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

# This folder holds profile.py, which would hide the standard library's (cProfile needs it).
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cProfile  # noqa: E402
import pstats  # noqa: E402

from pec import database  # noqa: E402
from pec.database import db  # noqa: E402

DOMAINS = ("pec.ordinemedici-roma.it", "pec.omceo.milano.it", "legalmail.it", "pec.it")


def roster_file(lines: int) -> bytes:
    from pec.domain.roster import COLUMNS

    rows = [",".join(COLUMNS)]
    for n in range(lines):
        values = {
            "convention_code": "FNOMCeO",
            "pec_address": f"medico.{n}@{DOMAINS[n % len(DOMAINS)]}",
            "expires_on": "31/12/2027",
            "account_login": f"medico.{n}@example.org",
            "first_name": "Mario",
            "last_name": f"Rossi{n}",
            "fiscal_code": "RSSMRA80A01H501U",
            "reference_email": f"medico.{n}@example.org",
        }
        rows.append(",".join(values.get(c, "") for c in COLUMNS))
    return ("\n".join(rows) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=5000)
    args = parser.parse_args()
    from pec.demo import load_demo
    from pec.domain import clock, roster

    with tempfile.TemporaryDirectory() as tmp:
        db.initialize(database.open_database(f"sqlite:///{tmp}/pec.sqlite3"))
        database.migrate()
        with db.connection_context():
            load_demo(clock.today())
            data = roster_file(args.lines)
            roster.dry_run(roster_file(50))  # warm up (imports, first queries)
            forget_checked_addresses()
            start = time.perf_counter()
            report = roster.dry_run(data)
            problems = {p.code for p in report.problems}
            elapsed = time.perf_counter() - start
            start = time.perf_counter()
            roster.dry_run(data)  # as at the import that follows a preview
            again = time.perf_counter() - start
            forget_checked_addresses()
            profile = cProfile.Profile()
            profile.enable()
            roster.dry_run(data)
            profile.disable()
    stats = pstats.Stats(profile, stream=io.StringIO())
    total = sum(v[2] for v in stats.stats.values())  # own time of every function
    email = sum(v[2] for k, v in stats.stats.items() if "email_validator" in k[0] or "idna" in k[0])
    print(
        f"{args.lines} lines: {elapsed * 1000:.0f} ms ({elapsed / args.lines * 1e6:.0f} µs a line), "
        f"{report.good_lines} good {sorted(problems)}; e-mail validation {email / total * 100:.0f} % "
        f"of the time; the same file again {again * 1000:.0f} ms"
    )


def forget_checked_addresses() -> None:
    """A cold start: no address checked yet (when the portal caches them)."""
    from pec.domain import billing

    cached = getattr(billing, "_checked_email", None)
    if cached is not None:
        cached.cache_clear()


if __name__ == "__main__":
    os.environ.setdefault("PEC_SECRET_KEY", "bench")
    main()
