"""What an exposed gateway refuses on its signaling: pages of other web
origins (cross-site WebSocket hijacking, and the same for long-poll), and
password guessing through sign-in; and HTTPS, so that browsers off
localhost may use the microphone at all."""
import http.client
import socket

from conftest import BROWSER_TONE_HZ, HTTPS_CERT, wait_until
from phone import Phone, heard, nothing_open


def upgrade(gateway, origin=None):
    """The status line of a WebSocket upgrade request to /ws."""
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as s:
        extra = f"Origin: {origin}\r\n" if origin else ""
        s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
        return s.recv(4096).split(b"\r\n")[0].decode()


def sign_in(gateway, body, origin=None, source="127.0.0.1"):
    c = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=15, source_address=(source, 0))
    c.request("POST", "/sign_in?json", body=body, headers={"Origin": origin} if origin else {})
    r = c.getresponse()
    out = (r.status, r.read().decode())
    c.close()
    return out


def test_pages_of_other_origins_are_refused(start_gateway):
    gw = start_gateway()
    assert " 101 " in upgrade(gw, f"http://127.0.0.1:{gw.port}")        # its own pages
    assert " 101 " in upgrade(gw)                                       # not a browser page
    assert " 101 " not in upgrade(gw, "http://evil.example")
    assert sign_in(gw, "1001:x", "http://evil.example")[0] == 403
    other = start_gateway("--allowed-origin", "https://app.example.com")
    assert " 101 " in upgrade(other, "https://app.example.com")


def test_password_guessing_is_slowed_down(start_gateway):
    gw = start_gateway("--register", "1001:right")     # an account of the configuration: checked by the gateway
    wait_until(lambda: gw.sip_status()["registrations"].get("1001", "").startswith("registered"), 10,
               what="the account's registration")
    for _ in range(5):
        assert "error=wrong-password" in sign_in(gw, "1001:wrong")[1]
    status, body = sign_in(gw, "1001:right")
    assert "error=too-many-attempts" in body, (status, body)            # even the right one, for a minute
    # ... from that address only: a guesser cannot lock the user out everywhere.
    status, body = sign_in(gw, "1001:right", source="127.0.0.2")
    assert status == 200 and "too-many-attempts" not in body and "wrong-password" not in body, (status, body)


def test_https_and_wss(chromium, start_gateway):
    """With --https-cert/--https-key the page is a secure context served over HTTPS, the library signs in
    over WSS and a call to echo is heard; nothing is served in clear on that port."""
    cert, key, _ = HTTPS_CERT
    gw = start_gateway("--https-cert", cert, "--https-key", key)
    a = Phone(chromium, gw)
    assert chromium.current_url.startswith("https://") and chromium.execute_script("return window.isSecureContext")
    assert a.connect("1001") == {"ok": True}       # over WSS: a secure page may not open ws://
    a.call("echo")
    a.wait_for("answered")
    m = a.hears(BROWSER_TONE_HZ)
    assert heard(m, BROWSER_TONE_HZ), m
    a.hangup()
    a.disconnect()
    wait_until(lambda: nothing_open(gw), 5, what="no call left at the gateway")
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:     # plain HTTP: no answer in clear
        s.sendall(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert not s.recv(4096).startswith(b"HTTP/"), "served in clear"
