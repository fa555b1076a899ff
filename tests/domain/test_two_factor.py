"""Two-factor authentication for operators: RFC 6238 codes, one step either side, each
code once; recovery codes single-use and stored hashed.

The RFC 6238 vectors (Appendix B, SHA-1, secret ASCII "12345678901234567890") as pyotp's
own tests give them, 6 digits: /work/research/refs/totp_vectors.md, from pyauth/pyotp
test.py at commit 0a964ba156f250e4203fcb9a0de6d02a6bbac810 (TOTPExampleValuesFromTheRFC).
"""

import datetime as dt

import pyotp
import pytest

from pec.domain import two_factor
from pec.models import AuditEvent, Operator, RecoveryCode
from tests.conftest import make_operator

RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
RFC_VECTORS = [
    (59, "287082"),
    (1111111109, "081804"),
    (1111111111, "050471"),
    (1234567890, "005924"),
    (2000000000, "279037"),
    (20000000000, "353130"),
]


def at(unix: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(unix, dt.UTC)


@pytest.mark.parametrize(("unix", "code"), RFC_VECTORS)
def test_codes_follow_rfc_6238(unix, code):
    step = two_factor.matching_step(RFC_SECRET, code, at(unix))
    assert step == unix // 30


def test_a_code_is_accepted_one_step_either_side_and_no_further():
    code = "050471"  # of 1111111111 (step 37037037)
    assert two_factor.matching_step(RFC_SECRET, code, at(1111111111 + 30)) == 37037037
    assert two_factor.matching_step(RFC_SECRET, code, at(1111111111 - 30)) == 37037037
    assert two_factor.matching_step(RFC_SECRET, code, at(1111111111 + 90)) is None
    assert two_factor.matching_step(RFC_SECRET, "050 471", at(1111111111)) == 37037037
    for wrong in ("050472", "", "abcdef", "0504711", "05047"):
        assert two_factor.matching_step(RFC_SECRET, wrong, at(1111111111)) is None


def enrolled(app, secret=RFC_SECRET, unix=1111111111) -> Operator:
    operator = make_operator("it@example.org", role="operator")
    Operator.update(totp_secret=secret).where(Operator.id == operator.id).execute()
    operator = Operator.get_by_id(operator.id)
    codes = two_factor.enable(operator, "050471", now=at(unix))
    assert codes is not None
    return Operator.get_by_id(operator.id), codes


def test_enrolment_needs_the_code_of_the_pending_secret(app):
    operator = make_operator("it@example.org", role="operator")
    secret = two_factor.enrolment_secret(operator)
    assert two_factor.enrolment_secret(Operator.get_by_id(operator.id)) == secret  # a reload
    assert not Operator.get_by_id(operator.id).has_two_factor
    assert two_factor.enable(operator, "000000", now=at(1111111111)) is None
    assert not Operator.get_by_id(operator.id).has_two_factor
    assert (
        AuditEvent.select().where(AuditEvent.action == "operator.two_factor_enabled").count() == 0
    )


def test_a_code_works_once(app):
    operator, _codes = enrolled(app)
    # The enrolment used the code of step 37037037: it cannot sign in again.
    assert not two_factor.verify(operator, "050471", now=at(1111111111))
    next_code = pyotp.TOTP(RFC_SECRET).at(1111111111 + 30)  # the next step's code
    assert two_factor.verify(operator, next_code, now=at(1111111141))
    assert not two_factor.verify(Operator.get_by_id(operator.id), next_code, now=at(1111111141))


def test_recovery_codes_are_single_use_and_stored_hashed(app):
    operator, codes = enrolled(app)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = [row.code_hash for row in RecoveryCode.select()]
    assert not any(code in stored or code.replace("-", "") in stored for code in codes)
    assert two_factor.use_recovery_code(operator, codes[0].upper().replace("-", " "), now=at(1))
    assert not two_factor.use_recovery_code(operator, codes[0], now=at(2))
    assert two_factor.codes_left(operator) == 9
    new = two_factor.regenerate_codes(operator, now=at(3))
    assert not two_factor.use_recovery_code(operator, codes[1], now=at(4))
    assert two_factor.use_recovery_code(operator, new[1], now=at(5))


def test_admins_cannot_turn_it_off_others_can(app):
    operator, _codes = enrolled(app)
    assert two_factor.disable(operator)
    assert RecoveryCode.select().count() == 0 and not Operator.get_by_id(operator.id).has_two_factor
    admin = make_operator()  # enrolled, an admin
    assert two_factor.is_required(admin) and not two_factor.disable(admin)
    assert Operator.get_by_id(admin.id).has_two_factor


def test_the_provisioning_uri_names_the_portal_and_the_operator():
    uri = two_factor.provisioning_uri(RFC_SECRET, "it@example.org", "Rinnovo PEC")
    assert uri.startswith("otpauth://totp/Rinnovo%20PEC:it%40example.org?secret=" + RFC_SECRET)
    assert len(two_factor.new_secret()) == 32
