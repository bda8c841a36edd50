"""The edge: inputs that once ended the process, and what the gateway refuses to trust by default."""
import http.client
import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import BINARY, wait_until
from sip_probe import code_of, exchange, options, request

SDP_SLASH_PORT = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=a / b\r\n"


def status(gw):
    with urllib.request.urlopen(gw.url + "/status", timeout=5) as r:
        return json.loads(r.read())


def get(gw, path, source="127.0.0.1"):
    c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5, source_address=(source, 0))
    c.request("GET", path)
    r = c.getresponse()
    out = (r.status, r.read().decode())
    c.close()
    return out


def alive(gw):
    assert gw.proc.poll() is None, gw.logs()
    assert get(gw, "/status")[0] == 200
    assert options(gw.sip_port) == 200


def test_the_four_inputs_that_ended_the_process(start_gateway):
    gw = start_gateway()
    assert get(gw, "/status?=")[0] == 200
    alive(gw)
    reply = exchange(gw.sip_port, lambda p: request("INVITE", "tel:;", p, "tel1"))
    assert code_of(reply) == 400, reply          # not even a request: answered from its Via
    alive(gw)
    reply = exchange(gw.sip_port, lambda p: request("INVITE", f"sip:echo@127.0.0.1:{gw.sip_port}", p, "mline",
                                                    "Content-Type: application/sdp\r\n", SDP_SLASH_PORT))
    assert (code_of(reply) or 0) >= 400, reply
    alive(gw)
    reply = exchange(gw.sip_port, lambda p: request("INVITE", f"sip:echo@127.0.0.1:{gw.sip_port}", p, "sessexp",
                                                    "Supported: timer\r\nSession-Expires: 100000000000000\r\n"))
    assert code_of(reply) is not None, "no final answer to the INVITE"
    exchange(gw.sip_port, lambda p: request("BYE", f"sip:echo@127.0.0.1:{gw.sip_port}", p, "sessexp"), timeout=0.5)
    alive(gw)


def test_test_routes_are_off_unless_asked_for_and_only_on_loopback(start_gateway, tmp_path):
    gw = start_gateway(test_routes=False)
    before = status(gw)["mediaPortsFree"]
    req = urllib.request.Request(gw.url + "/test/echo", data=b"v=0\r\n", method="POST")
    try:
        urllib.request.urlopen(req, timeout=5)
        raise AssertionError("POST /test/echo answered without --test-routes")
    except urllib.error.HTTPError as e:
        assert e.code == 404
    assert get(gw, "/test/sip")[0] == 404
    c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
    c.request("POST", "/test/call?user=1001&to=sip:2000@192.0.2.1")
    assert c.getresponse().status == 404          # the gateway places no call on a stranger's word
    c.close()
    assert status(gw)["mediaPortsFree"] == before
    refused = subprocess.run([BINARY, "--http", "0.0.0.0:0", "--sip-listen", "127.0.0.1:0", "--test-routes"],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0 and "--test-routes needs --http on a loopback address" in refused.stderr


def test_the_embedded_server_listens_on_loopback_only():
    refused = subprocess.run([BINARY, "--http", "127.0.0.1:0", "--sip-listen", "0.0.0.0:0"],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0 and "--sip-listen must be a loopback address" in refused.stderr


def test_anonymous_sign_in_is_off_by_default_and_bounded_when_on(start_gateway):
    gw = start_gateway()
    assert "error=anonymous-disabled" in get(gw, "/sign_in?1001")[1]
    gw = start_gateway("--anonymous-calls-to", "echo", "--register", "2000:secret")
    assert "error=bad-user" in get(gw, "/sign_in?2000")[1]      # a configured account needs its password
    s, body = get(gw, "/sign_in?guest")
    assert s == 200 and body.startswith("id="), body
    ssid = body.splitlines()[0].split("=", 1)[1]
    c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
    c.request("POST", f"/message?from={ssid}&to=9000", body='RSMP {"messageType":"OFFER","sdp":"v=0"}')
    assert c.getresponse().status == 200
    c.close()
    messages = []

    def refused():
        c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
        c.request("GET", f"/wait?id={ssid}")
        r = c.getresponse()
        messages.append(r.read().decode())
        c.close()
        return "forbidden" in messages[-1]
    wait_until(refused, 10, interval=0, what="the anonymous call to 9000 refused")
    assert status(gw)["refused"].get("anonymous-destination") == 1


def test_sip_is_taken_only_from_the_configured_server(start_gateway):
    gw = start_gateway("--sip-server", "127.0.0.1:9", "--sip-trusted-peer", "127.0.0.3")
    assert options(gw.sip_port, source="127.0.0.1") == 200      # the server's address
    assert options(gw.sip_port, source="127.0.0.3") == 200      # a trusted peer
    assert options(gw.sip_port, source="127.0.0.2", timeout=1.0) is None    # anyone else: no answer at all
    invite = exchange(gw.sip_port, lambda p: request("INVITE", f"sip:1001@127.0.0.1:{gw.sip_port}", p, "stranger"),
                      source="127.0.0.2", timeout=1.0, final=False)
    assert invite is None
    assert status(gw)["refused"].get("sip-untrusted-source") == 2


def test_sessions_per_source_are_capped(start_gateway):
    gw = start_gateway("--max-sessions-per-source", "2")
    for user in ("a1", "a2"):
        c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
        c.request("POST", "/sign_in", body=f"{user}:x")
        c.getresponse().read()
        c.close()
    c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
    c.request("POST", "/sign_in", body="a3:x")
    r = c.getresponse()
    assert r.status == 429 and r.getheader("Retry-After") and "too-many-sessions" in r.read().decode()
    c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5, source_address=("127.0.0.2", 0))
    c.request("POST", "/sign_in", body="b1:x")
    assert c.getresponse().status == 200                      # another address is not held back
    assert status(gw)["refused"].get("too-many-sessions") == 1


def test_a_long_poll_client_that_stops_reading_is_signed_out_when_its_queue_overflows(start_gateway):
    gw = start_gateway()
    s, body = post_sign_in(gw, "1001:x")
    assert s == 200, body
    ssid = body.splitlines()[0].split("=", 1)[1]
    assert status(gw)["gateway"]["signedIn"] == 1
    c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
    for _ in range(300):         # each earns an error event; the client never polls for them
        c.request("POST", f"/message?from={ssid}&to=x", body='JSON {"type":"no-such-request"}')
        c.getresponse().read()
    c.close()
    wait_until(lambda: status(gw)["gateway"]["signedIn"] == 0 and status(gw)["gateway"]["sessions"] == 0, 5,
               what="the session ended")
    wait_until(lambda: gw.sip_status()["registrations"].get("1001") == "unregistered", 5, what="its registration removed")


def post_sign_in(gw, body):
    c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=15)
    c.request("POST", "/sign_in", body=body)
    r = c.getresponse()
    out = (r.status, r.read().decode())
    c.close()
    return out


def test_a_host_name_the_gateway_was_not_given_is_refused(start_gateway):
    """DNS rebinding: a page of rebind.example, its name pointed at the gateway, is not the gateway's page."""
    gw = start_gateway("--http-name", "gw.example")
    for host, expected in ((f"rebind.example:{gw.port}", 421), (f"gw.example:{gw.port}", 200),
                           (f"127.0.0.1:{gw.port}", 200), (f"localhost:{gw.port}", 200)):
        c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
        c.request("GET", "/status", headers={"Host": host})
        assert c.getresponse().status == expected, host
        c.close()
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:      # nor its WebSocket
        s.sendall((f"GET /ws HTTP/1.1\r\nHost: rebind.example:{gw.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        assert b" 101 " not in s.recv(4096).split(b"\r\n")[0]


def test_http_connections_per_source_are_bounded(start_gateway):
    gw = start_gateway("--max-sessions-per-source", "2")      # 2 * 2 + 16 = 20 HTTP connections from one address
    held = [socket.create_connection(("127.0.0.1", gw.port), timeout=5) for _ in range(20)]
    extra = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
    extra.settimeout(5)
    assert extra.recv(1) == b""                                 # closed at once
    assert get(gw, "/status", source="127.0.0.2")[0] == 200     # another address is served
    for s in held:
        s.close()
    def served():
        try:
            return get(gw, "/status")[0] == 200
        except OSError:
            return False
    wait_until(served, 5, what="room again once they closed")
    assert status(gw)["refused"].get("http-connections", 0) >= 1


def test_unfinished_legs_and_idle_connections_are_let_go(start_gateway):
    """An offer nobody follows with ICE and DTLS holds its media port 15 s at most (POST /test/echo once
    took a port for good); an HTTP or SIP connection that sends nothing is closed after its idle timeout."""
    from hostile import BROWSER_SDP
    gw = start_gateway("--idle-timeout", "30", "--sip-idle-timeout", "30")
    idle = socket.create_connection(("127.0.0.1", gw.port), timeout=40)
    idle_sip = socket.create_connection(("127.0.0.1", gw.sip_port), timeout=40)
    opened = time.monotonic()
    free = status(gw)["mediaPortsFree"]
    for _ in range(3):
        assert gw.post("/test/echo", BROWSER_SDP)[0] == 200
    assert status(gw)["mediaPortsFree"] == free - 3
    wait_until(lambda: status(gw)["mediaPortsFree"] == free, 20, interval=0.5, what="the ports of the unfinished legs")
    for connection in (idle, idle_sip):
        assert connection.recv(1) == b""                            # closed by the gateway, not by our timeout
        assert 29 <= time.monotonic() - opened <= 40
        connection.close()


class RawWebSocket:
    """A WebSocket client on a bare socket, so that the test decides whether pings are answered."""

    def __init__(self, gw):
        self.s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
        self.s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{gw.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.s.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head
        self.pings = 0

    def send(self, opcode, payload):
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        length = len(payload)
        header = bytes([0x80 | opcode]) + (bytes([0x80 | length]) if length < 126 else bytes([0x80 | 126]) + length.to_bytes(2, "big"))
        self.s.sendall(header + mask + masked)

    def read(self, answer_pings):
        """The next text frame's JSON; pings on the way answered or not. None when the gateway closed."""
        while True:
            first = self.s.recv(2)
            if len(first) < 2:
                return None
            length = first[1] & 0x7F
            if length == 126:
                length = int.from_bytes(self.s.recv(2), "big")
            payload = b""
            while len(payload) < length:
                payload += self.s.recv(length - len(payload))
            opcode = first[0] & 0x0F
            if opcode == 0x9:
                self.pings += 1
                if answer_pings:
                    self.send(0xA, payload)
            elif opcode == 0x8:
                return None
            elif opcode == 0x1:
                return json.loads(payload)


@pytest.mark.parametrize("answers", [True, False])
def test_a_websocket_peer_that_stops_answering_pings_is_let_go(start_gateway, answers):
    """A vanished tab (its connection open, nothing answering) loses its session after two ping periods;
    a peer that answers the pings (the control) stays signed in."""
    gw = start_gateway("--ws-ping", "1")
    ws = RawWebSocket(gw)
    ws.send(0x1, json.dumps({"type": "sign-in", "user": "1020", "password": "x"}).encode())
    assert ws.read(answers)["type"] == "signed-in"
    assert status(gw)["gateway"]["signedIn"] == 1
    started = time.monotonic()
    if answers:
        while time.monotonic() - started < 4:
            ws.s.settimeout(0.5)
            try:
                assert ws.read(True) is not None, "closed although it answered every ping"
            except socket.timeout:
                pass
        assert ws.pings >= 3 and status(gw)["gateway"]["signedIn"] == 1
    else:
        ws.s.settimeout(10)
        assert ws.read(False) is None                                  # closed by the gateway
        assert time.monotonic() - started < 5
        wait_until(lambda: status(gw)["gateway"]["signedIn"] == 0, 5, what="the session to end")
    ws.s.close()
