"""Gestione PEC: statuses, access control, identity documents (docs/rules.md, member journey 3)."""

import html
import re

from pec.models import (
    Account,
    IdentityDocument,
    Mailbox,
    Order,
    OrderLine,
)
from tests.factories import make_account, make_mailbox

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def rows(page: str) -> dict[str, str]:
    """address → the text of its table row."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        m = re.search(r'class="address">(.+?)</th>', row)
        if m:
            found[re.sub(r"<wbr>", "", m.group(1))] = re.sub(r"<[^>]+>|\s+", " ", row)
    return found


def test_demo_account_shows_statuses_and_dates(member, demo):
    member.login()
    page = rows(member.client.get("/mailboxes/").get_data(as_text=True))
    assert "In scadenza" in page["mario.rossi@pec.demo.it"]
    assert "30/03/2026" in page["mario.rossi@pec.demo.it"]  # today 10/03 + 20 days
    assert "Attivo" in page["studio.rossi@pec.demo.it"]
    assert "26/09/2026" in page["studio.rossi@pec.demo.it"]
    assert "Disattivato" in page["m.rossi@pec.demo.it"]
    assert "07/03/2026" in page["m.rossi@pec.demo.it"]
    # deletion date: expiry + 90 days
    assert "05/06/2026" in page["m.rossi@pec.demo.it"]
    assert all("RINNOVA" in text for text in page.values())


def test_page_warns_about_the_registro_delle_imprese(member, demo):
    member.login()
    assert "Registro delle Imprese" in member.client.get("/mailboxes/").get_data(as_text=True)


def test_several_renewable_mailboxes_can_be_picked_for_one_order(member, demo):
    member.login()
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    assert page.count('type="checkbox" name="mailbox"') == 3
    assert "Rinnova le caselle selezionate" in page


def test_ceased_mailbox_has_no_renew_button(member, demo, today):
    account = Account.get(Account.login == "mario.rossi@example.org")
    make_mailbox(account, expires_in=-120, address="old@pec.demo.it")
    member.login()
    page = rows(member.client.get("/mailboxes/").get_data(as_text=True))
    assert "Cessato" in page["old@pec.demo.it"] and "RINNOVA" not in page["old@pec.demo.it"]


def test_renew_cannot_name_someone_elses_mailbox(member, demo):
    member.login()
    anna_box = Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")
    assert member.post("/renewals/start", {"only": str(anna_box.id)}).status_code == 404
    assert member.post("/renewals/start", {"mailbox": [str(anna_box.id)]}).status_code == 404


def upload(member, data, name="documento.pdf"):
    """A multipart POST built by hand as bytes (the test client would spool a large
    body to a temporary file that it never closes)."""
    from tests.conftest import csrf_token

    boundary = "----pecboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{csrf_token(member.client)}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return member.client.post(
        "/mailboxes/document", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_pdf_upload_is_kept_outside_static_and_shown_as_loaded(app, member, demo):
    member.login()
    response = upload(member, PDF)
    assert response.status_code == 303
    doc = IdentityDocument.get()
    assert doc.content_type == "application/pdf"
    stored = app.config["PEC_DOCUMENTS_DIR"]
    assert not stored.startswith(app.static_folder)
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    assert "Documento già caricato" in page
    download = member.client.get(f"/mailboxes/document/{doc.id}")
    assert download.status_code == 200 and download.data == PDF
    download.close()


def test_png_is_accepted_by_content(member, demo):
    member.login()
    assert upload(member, PNG, "scan.png").status_code == 303


def test_renamed_exe_is_refused_with_a_message(member, demo):
    member.login()
    response = upload(member, EXE, "documento.pdf")
    assert response.status_code == 422
    assert "PDF, un'immagine JPEG o PNG" in html.unescape(response.get_data(as_text=True))
    assert IdentityDocument.select().count() == 0


def test_file_over_5_mb_is_refused_with_a_message(member, demo):
    member.login()
    response = upload(member, PDF + b"0" * (5 * 1024 * 1024))
    assert response.status_code == 422
    assert "supera i 5 MB" in response.get_data(as_text=True)
    assert IdentityDocument.select().count() == 0


def test_empty_file_and_missing_file_get_messages(member, demo):
    member.login()
    empty = upload(member, b"")
    assert empty.status_code == 422 and "Il file è vuoto." in empty.get_data(as_text=True)
    response = member.post("/mailboxes/document", {}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Scegli il file" in response.get_data(as_text=True)


def test_another_holders_document_is_not_found(app, member, demo):
    other = make_account()
    from pec.domain.documents import store_document

    doc = store_document(other, "id.pdf", PDF, app.config["PEC_DOCUMENTS_DIR"], 5 * 1024 * 1024)
    member.login()
    assert member.client.get(f"/mailboxes/document/{doc.id}").status_code == 404
    assert member.client.get("/mailboxes/document/99999").status_code == 404


def test_mailbox_login_sees_document_state_but_cannot_download(app, member, demo):
    anna = Account.get(Account.login == "anna.bianchi@example.org")
    from pec.domain.documents import store_document

    doc = store_document(anna, "id.pdf", PDF, app.config["PEC_DOCUMENTS_DIR"], 5 * 1024 * 1024)
    member.login("anna.bianchi@pec.demo.it", "demo-password")
    assert "Documento già caricato" in member.client.get("/mailboxes/").get_data(as_text=True)
    assert member.client.get(f"/mailboxes/document/{doc.id}").status_code == 404


def test_a_ceased_mailbox_cannot_be_renewed_after_the_window_is_widened(member, demo, today):
    """The job ceased it under a 15-day window; the admin then set 90 days."""
    account = Account.get(Account.login == "mario.rossi@example.org")
    box = make_mailbox(account, expires_in=-20, address="gone@pec.demo.it")
    Mailbox.update(ceased_on=today, deactivated_on=today).where(Mailbox.id == box.id).execute()
    member.login()
    page = rows(member.client.get("/mailboxes/").get_data(as_text=True))
    assert "Cessato" in page["gone@pec.demo.it"] and "RINNOVA" not in page["gone@pec.demo.it"]
    response = member.post("/renewals/start", {"only": str(box.id)}, follow_redirects=True)
    assert "non si può più rinnovare online" in html.unescape(response.get_data(as_text=True))
    from pec.models import OrderLine

    assert not OrderLine.select().where(OrderLine.mailbox == box.id).exists()


def test_a_mailbox_login_gets_no_links_to_an_order_of_two_mailboxes(member, demo):
    from pec.domain import passwords
    from tests.factories import make_order

    mario = Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it")
    studio = Mailbox.get(Mailbox.address == "studio.rossi@pec.demo.it")
    Mailbox.update(password_hash=passwords.hash_password("box-password")).where(
        Mailbox.id == mario.id
    ).execute()
    paid = make_order([mario, studio], status="paid")
    member.login("mario.rossi@pec.demo.it", "box-password")
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    assert f"/payments/{paid.id}/receipt" not in page  # it would answer 404
    assert member.client.get(f"/payments/{paid.id}/receipt").status_code == 404
    awaiting = make_order([mario, studio], method="card")
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    assert f"Ordine N° {awaiting.number} in attesa di pagamento" in page
    assert f"/payments/{awaiting.id}/checkout" not in page
    member.logout()
    member.login()  # Mario's account sees and pays both
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    assert f"/payments/{awaiting.id}/checkout" in page
    Order.update(status="cancelled").where(Order.id == awaiting.id).execute()
    OrderLine.update(open_mailbox=None).where(OrderLine.order == awaiting.id).execute()
    assert f"/payments/{paid.id}/receipt" in member.client.get("/mailboxes/").get_data(as_text=True)
