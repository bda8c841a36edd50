"""The gateway's accounts against kamailio as registrar and proxy: digest
registration checked by kamailio's auth_db (over UDP and over TLS), a call
routed by kamailio to the registered contact, and a wrong password refused
cleanly."""
import os
import subprocess

import pytest

from conftest import wait_until
from sip_peers import DOMAIN, HERE, USERS, start_kamailio


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
