"""The gateway's accounts against kamailio as registrar and proxy: digest
registration checked by kamailio's auth_db (over UDP and over TLS), a call
routed by kamailio to the registered contact, and a wrong password refused
cleanly."""
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import free_port, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
DOMAIN = "example.com"
USERS = {"1001": "alpha-secret", "1002": "bravo-secret"}


def start_kamailio(tls=False):
    if not shutil.which("kamailio"):
        pytest.fail("kamailio is not installed (scripts/setup --test installs it)")
    work = tempfile.mkdtemp(prefix="gw-kamailio-")
    db = os.path.join(work, "db")
    os.mkdir(db)
    with open(os.path.join(db, "version"), "w") as f:
        f.write("table_name(str) table_version(int)\nsubscriber:7\n")
    with open(os.path.join(db, "subscriber"), "w") as f:
        f.write("id(int,auto) username(str) domain(str) password(str) ha1(str,null) ha1b(str,null)\n")
        for i, (user, password) in enumerate(USERS.items(), 1):
            f.write(f"{i}:{user}:{DOMAIN}:{password}::\n")
    with open(os.path.join(HERE, "kamailio", "kamailio.cfg.in")) as f:
        cfg = f.read().replace("@DB_URL@", f"text://{db}").replace("@DOMAIN@", DOMAIN)
    port = free_port()
    listen = ["-l", f"udp:127.0.0.1:{port}"]
    cert = os.path.join(work, "cert.pem")
    if tls:
        # A self-signed certificate for 127.0.0.1, which the gateway is told to trust.
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", os.path.join(work, "key.pem"), "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        with open(os.path.join(HERE, "kamailio", "tls.cfg.in")) as f:
            tls_cfg = f.read().replace("@CERT@", cert).replace("@KEY@", os.path.join(work, "key.pem"))
        with open(os.path.join(work, "tls.cfg"), "w") as f:
            f.write(tls_cfg)
        cfg = cfg.replace("@TLS_CFG@", os.path.join(work, "tls.cfg"))
        listen = ["-l", f"tls:127.0.0.1:{port}", "-A", "WITH_TLS"]
    cfg_path = os.path.join(work, "kamailio.cfg")
    with open(cfg_path, "w") as f:
        f.write(cfg)
    log = open(os.path.join(work, "kamailio.log"), "w")
    proc = subprocess.Popen(["kamailio", "-f", cfg_path, *listen, "-DD", "-E", "-n", "1",
                             "-P", os.path.join(work, "pid"), "-Y", work, "-w", work],
                            stdout=log, stderr=subprocess.STDOUT)
    wait_until(lambda: proc.poll() is not None or "INFO" in open(log.name).read(), 10, what="kamailio to start")
    assert proc.poll() is None, open(log.name).read()[-3000:]
    yield port, cert
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def kamailio():
    for port, _ in start_kamailio():
        yield port


@pytest.fixture
def kamailio_tls():
    yield from start_kamailio(tls=True)


def registrations(gw):
    return gw.sip_status()["registrations"]


def test_two_accounts_register_and_a_call_reaches_one(kamailio, start_gateway, tmp_path):
    args = ["--sip-server", f"127.0.0.1:{kamailio}", "--sip-domain", DOMAIN]
    for user, password in USERS.items():
        args += ["--register", f"{user}:{password}"]
    gw = start_gateway(*args)
    wait_until(lambda: all(registrations(gw).get(u, "").startswith("registered") for u in USERS), 15,
               what="both registrations")

    def call(user, expected):
        scenario = tmp_path / f"call-{user}.xml"
        with open(os.path.join(HERE, "sipp", "uac_call_user.xml")) as f:
            scenario.write_text(f.read().replace("EXPECTED_CODE", str(expected)))
        return subprocess.run(["sipp", f"127.0.0.1:{kamailio}", "-sf", str(scenario), "-s", user, "-i", "127.0.0.1",
                               "-p", "0", "-m", "1", "-nostdin", "-timeout", "20s", "-timeout_error"],
                              capture_output=True, text=True, timeout=60)

    # kamailio finds 1001's binding and relays to the gateway, which answers 480
    # (no browser is signed in as 1001); an unknown user stops at kamailio with 404.
    reached = call("1001", 480)
    assert reached.returncode == 0, reached.stdout[-2000:] + reached.stderr[-2000:]
    unknown = call("1999", 404)
    assert unknown.returncode == 0, unknown.stdout[-2000:] + unknown.stderr[-2000:]


def test_a_wrong_password_is_refused(kamailio, start_gateway):
    gw = start_gateway("--sip-server", f"127.0.0.1:{kamailio}", "--sip-domain", DOMAIN, "--register", "1001:not-it")
    state = wait_until(lambda: registrations(gw).get("1001", "").startswith("failed") and registrations(gw)["1001"], 15,
                       what="the registration to fail")
    assert state.startswith("failed 401"), state


def test_registers_over_tls(kamailio_tls, start_gateway):
    port, cert = kamailio_tls
    gw = start_gateway("--sip-server", f"tls:127.0.0.1:{port}", "--sip-tls-trust", cert, "--sip-domain", DOMAIN,
                       "--register", "1001:alpha-secret")
    state = wait_until(lambda: registrations(gw).get("1001", "").startswith(("registered", "failed"))
                       and registrations(gw)["1001"], 15, what="registration over TLS")
    assert state.startswith("registered"), state
