"""The embedded SIP server with accounts (--sip-account): Digest on every REGISTER and new INVITE, and so
allowed on an address other than loopback (one the test adds to its own network namespace)."""
import re
import subprocess

from conftest import BROWSER_TONE_HZ, wait_until
from phone import Phone, heard, nothing_open
from sip_probe import code_of, exchange, request

ADDRESS = "10.99.0.1"      # exists only inside this test run's network namespace


def test_the_embedded_server_with_accounts_asks_for_credentials(chromium, start_gateway):
    subprocess.run(["ip", "addr", "add", f"{ADDRESS}/32", "dev", "lo"], capture_output=True)
    gw = start_gateway("--sip-account", "1001:secret", "--sip-account", "1002:other", "--sip-listen", f"{ADDRESS}:0")
    # A stranger: its REGISTER is challenged (not bound), its INVITE to a number too.
    reply = exchange(gw.sip_port, lambda p: request("REGISTER", f"sip:{ADDRESS}", p, "reg1"), host=ADDRESS)
    assert code_of(reply) == 401 and re.search(rb"(?im)^WWW-Authenticate: Digest .*qop=\"auth\"", reply), reply
    reply = exchange(gw.sip_port, lambda p: request("INVITE", f"sip:echo@{ADDRESS}:{gw.sip_port}", p, "inv1"), host=ADDRESS)
    assert code_of(reply) == 407 and b"Proxy-Authenticate: Digest" in reply, reply
    # A browser user signs in with the account's password (the gateway's REGISTER answers the challenge)
    # and calls echo (its INVITE answers the proxy's); a wrong password is told as such.
    a = Phone(chromium, gw)
    assert a.connect("1001", "wrong")["code"] == "wrong-password"
    assert a.connect("1001", "secret") == {"ok": True}
    a.call("echo")
    a.wait_for("answered")
    m = a.hears(BROWSER_TONE_HZ)
    assert heard(m, BROWSER_TONE_HZ), m
    a.hangup()
    wait_until(lambda: nothing_open(gw), 5, what="the call to close")
    a.disconnect()
