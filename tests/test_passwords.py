"""argon2id at OWASP's floor in production; the cheapest parameters only in a TESTING app."""

import subprocess
import sys
from pathlib import Path

from argon2 import extract_parameters

from pec.domain import passwords
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parent.parent


def costs(password_hash: str) -> tuple[int, int, int]:
    found = extract_parameters(password_hash)
    return found.time_cost, found.memory_cost, found.parallelism


def test_a_production_app_hashes_with_the_real_parameters_and_a_testing_one_cheaply(tmp_path):
    make_app(tmp_path / "production", TESTING=False)
    real_hash = passwords.hash_password("demo-password")
    assert costs(real_hash) == (2, 19 * 1024, 1)  # t=2, m=19 MiB, p=1
    # An unknown login verifies the dummy hash: it must cost what a real account costs.
    assert costs(passwords._dummy_hash) == (2, 19 * 1024, 1)

    make_app(tmp_path / "testing")
    cheap_hash = passwords.hash_password("demo-password")
    assert costs(cheap_hash) == (1, 8, 1)
    assert costs(passwords._dummy_hash) == (1, 8, 1)

    # A hash carries its parameters: each app verifies the other's hashes.
    assert passwords.verify_password(real_hash, "demo-password")
    make_app(tmp_path / "production-again", TESTING=False)
    assert passwords.verify_password(cheap_hash, "demo-password")
    assert not passwords.verify_password(cheap_hash, "wrong-password")
    assert not passwords.verify_password(None, "demo-password")


def test_the_module_hashes_with_the_real_parameters_until_told_otherwise():
    # What a process gets on import, before any app factory runs (scripts, `pec` commands).
    probe = (
        "from argon2 import extract_parameters as p; from pec.domain import passwords as w; "
        "h = p(w.hash_password('x')); d = p(w._dummy_hash); "
        "print(h.time_cost, h.memory_cost, d.time_cost, d.memory_cost)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "19456", "2", "19456"]
