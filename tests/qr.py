"""Reading QR codes in tests: zbar (Debian's libzbar0) through pyzbar."""

import io

import pytest


def decode_qr(png: bytes) -> bytes:
    """The payload of the one QR code in a PNG image."""
    try:
        from pyzbar.pyzbar import ZBarSymbol, decode
    except ImportError as error:  # libzbar0 missing
        from tests.conftest import skip_or_fail

        skip_or_fail(f"no QR decoder: {error}")
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    found = decode(image, symbols=[ZBarSymbol.QRCODE])
    if len(found) != 1:
        pytest.fail(f"expected one QR code, found {len(found)}")
    return found[0].data
