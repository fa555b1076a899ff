"""The deploy/ files work as shipped: nginx accepts the site and serves the app through it
on loopback (TLS, gzip, cached static files, the client's own address behind the
proxy); Caddy accepts its site; the systemd units' commands run; `make demo PORT=…`
serves on that port. In CI a missing nginx or Caddy fails the test (see .ci/run)."""

import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from configparser import ConfigParser
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_app, skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX_HOST = "127.0.0.2"  # nginx listens here; clients come from other loopback addresses


def free_port(host="127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if not found:
        skip_or_fail(f"{name} is not installed (Debian package {name}; .ci/run installs it)")
    return found


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={NGINX_HOST}",
            "-addext", f"subjectAltName=IP:{NGINX_HOST}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def nginx_config(folder: Path, cert, key, app_port, http_port, https_port) -> Path:
    """deploy/nginx-pec.conf as shipped, with only what differs on a test machine
    replaced (addresses, certificate paths, the checkout's folder), inside a minimal
    nginx.conf like Debian's."""
    site = (DEPLOY / "nginx-pec.conf").read_text()
    replacements = [
        ("listen 80;", f"listen {NGINX_HOST}:{http_port};"),
        ("listen 443 ssl http2;", f"listen {NGINX_HOST}:{https_port} ssl http2;"),
        ("listen [::]:80;", ""),
        ("listen [::]:443 ssl http2;", ""),
        ("/etc/letsencrypt/live/pec.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/pec.example.org/privkey.pem", str(key)),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("/srv/pec/static/", f"{ROOT / 'static'}/"),
    ]
    for old, new in replacements:
        assert old in site, f"deploy/nginx-pec.conf no longer has {old!r}: update this test"
        site = site.replace(old, new)
    (folder / "site.conf").write_text(site)
    temp = "\n".join(
        f"  {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                             "uwsgi", "scgi")
    )  # fmt: skip
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = folder / "nginx.conf"
    main.write_text(
        f"{user}worker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'};\n"
        "events { worker_connections 64; }\n"
        "http {\n  include /etc/nginx/mime.types;\n"
        f"  access_log {folder / 'access.log'};\n{temp}\n"
        f"  include {folder / 'site.conf'};\n}}\n"
    )
    return main


def test_nginx_accepts_the_site_file(tmp_path, certificate):
    nginx = tool("nginx")
    main = nginx_config(tmp_path, *certificate, 8000, free_port(), free_port())
    result = subprocess.run(
        [nginx, "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


@pytest.fixture
def behind_nginx(tmp_path, certificate):
    """The app served on loopback with PEC_TRUSTED_PROXIES=1, and nginx in front of it
    with the shipped site file; yields (https port, http port, TLS context)."""
    nginx = tool("nginx")
    https_port, http_port = free_port(NGINX_HOST), free_port(NGINX_HOST)
    app = make_app(
        tmp_path / "app",
        PEC_TRUSTED_PROXIES=1,
        RATELIMIT_ENABLED=True,
        PEC_BASE_URL=f"https://{NGINX_HOST}:{https_port}",
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = tmp_path / "nginx"
    folder.mkdir()
    main = nginx_config(folder, *certificate, server.server_port, http_port, https_port)
    process = subprocess.Popen(
        [nginx, "-c", str(main), "-p", str(folder), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    context = ssl.create_default_context(cafile=str(certificate[0]))
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection((NGINX_HOST, https_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield https_port, http_port, context
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=15)
        server.shutdown()


def fetch(port, context, method, path, *, source="127.0.0.3", headers=None, body=None):
    """One request through nginx from a loopback address of our choice."""
    if context is None:
        connection = http.client.HTTPConnection(
            NGINX_HOST, port, timeout=10, source_address=(source, 0)
        )
    else:
        connection = http.client.HTTPSConnection(
            NGINX_HOST, port, timeout=10, source_address=(source, 0), context=context
        )
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


CSRF_RE = re.compile(rb'name="csrf-token" content="([^"]+)"')


def wrong_logins(port, context, source, count, forged="203.0.113.9"):
    """`count` wrong logins from one client, each claiming another address."""
    response, page = fetch(port, context, "GET", "/login", source=source)
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = CSRF_RE.search(page).group(1).decode()
    codes = []
    for n in range(count):
        response, _ = fetch(
            port,
            context,
            "POST",
            "/login",
            source=source,
            body=f"csrf_token={token}&identifier=guess{n}%40example.org&password=x",
            headers={
                "Cookie": cookie,
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"https://{NGINX_HOST}:{port}/login",
                "X-Forwarded-For": f"{forged}{n}",  # a client's lie, never believed
            },
        )
        codes.append(response.status)
    return codes


def test_the_app_behind_nginx_on_loopback(behind_nginx):
    https_port, http_port, context = behind_nginx

    response, _ = fetch(http_port, None, "GET", "/login")
    assert response.status == 301 and response.getheader("Location").startswith("https://")

    response, body = fetch(
        https_port, context, "GET", "/login", headers={"Accept-Encoding": "gzip"}
    )
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000"
    assert response.getheader("Cache-Control") == "private, no-store"

    response, css = fetch(https_port, context, "GET", "/static/app.css?v=0123456789")
    assert response.status == 200 and css == (ROOT / "static" / "app.css").read_bytes()
    assert "max-age=31536000" in response.getheader("Cache-Control")
    assert "immutable" in response.getheader("Cache-Control")

    # Each client is itself behind the proxy: one guesser is stopped, another is not.
    assert wrong_logins(https_port, context, "127.0.0.3", 11)[-1] == 429
    assert wrong_logins(https_port, context, "127.0.0.4", 1) == [422]


def test_caddy_accepts_the_site_file(tmp_path):
    caddy = tool("caddy")
    result = subprocess.run(
        [caddy, "adapt", "--config", str(DEPLOY / "Caddyfile"), "--validate"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path)),
    )
    assert result.returncode == 0, result.stderr
    assert "reverse_proxy" in result.stdout and "encode" in result.stdout


@pytest.mark.parametrize("unit", ["pec-web.service", "pec-scheduler.service"])
def test_the_systemd_units_commands_exist_and_the_web_runs_without_the_scheduler(unit):
    service = ConfigParser(strict=False, interpolation=None)
    service.optionxform = str
    service.read(DEPLOY / unit)
    command = service["Service"]["ExecStart"].split()
    program = Path(sys.prefix) / "bin" / Path(command[0]).name  # this checkout's venv
    assert command[0].startswith("/srv/pec/.venv/bin/") and program.exists()
    assert service["Service"]["KillSignal"] == "SIGTERM"
    if unit == "pec-web.service":
        assert "PEC_SCHEDULER=off" in service["Service"]["Environment"]
        check = [str(program), *command[1:], "--check-config"]
    else:
        assert command[-2:] == ["pec", "scheduler"]
        check = [str(program), *command[1:], "--help"]
    result = subprocess.run(
        check, cwd=ROOT, capture_output=True, text=True,
        env=dict(os.environ, PEC_SECRET_KEY="x", PEC_SCHEDULER="off"),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_demo_serves_on_the_port_it_is_given(tmp_path):
    make = tool("make")
    port = free_port()
    env = dict(
        os.environ,
        PEC_DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        PEC_SECRET_KEY="demo-test",
        PEC_SCHEDULER="off",
    )
    process = subprocess.Popen(
        [make, "demo", f"PORT={port}", f"VENV={sys.prefix}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as page:
                    status = page.status
                    break
            except OSError:
                time.sleep(0.3)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode(errors="replace")
    assert status == 200, output
