"""The HTTP long-poll transport: the library over it (a browser that cannot
use WebSockets), a client speaking the Genesys words (aiortc as the WebRTC
peer), no message lost when a response does not arrive, and the expiry of
a client that stops polling."""
import asyncio
import http.client
import json
import urllib.parse

import aioice.ice
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from aiortc_peer import Tone, dominant
from conftest import wait_until
from phone import Phone, caller_and_callee, hear_each_other, heard, nothing_open, status

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
GENESYS_TONE_HZ = 440


class LongPoll:
    """A raw long-poll client: the wire protocol by hand."""

    def __init__(self, gateway):
        self.port = gateway.port

    def request(self, method, path, body=None, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        c.request(method, path, body=body)
        r = c.getresponse()
        out = (r.status, dict(r.getheaders()), r.read().decode())
        c.close()
        return out

    def sign_in(self, user, password=None, json_dialect=False):
        q = "?json" if json_dialect else ""
        status_, headers, body = (self.request("POST", "/sign_in" + q, f"{user}:{password}") if password is not None
                                  else self.request("GET", f"/sign_in?{user}"))
        assert status_ == 200, (status_, body)
        lines = dict(line.split("=", 1) for line in body.splitlines() if "=" in line)
        assert body.splitlines()[0].split("=", 1)[1] == lines["id"]     # the first value is the server-side id
        assert "GWINSTANCE=" in headers.get("Set-Cookie", "")
        self.id = lines["id"]
        return headers

    def send(self, peer, message):
        s, _, body = self.request("POST", f"/message?from={self.id}&to={urllib.parse.quote(peer)}", message)
        assert s == 200, (s, body)

    def wait(self, ack=None):
        """The next message that is not a bare 204: (peer, word, json or None, seq)."""
        while True:
            q = f"&ack={ack}" if ack is not None else ""
            s, headers, body = self.request("GET", f"/wait?id={self.id}{q}")
            if s == 204:
                continue
            assert s == 200, (s, body)
            word, _, rest = body.partition(" ")
            return headers.get("Pragma"), word, json.loads(rest) if rest.startswith("{") else None, headers.get("X-Seq")


def test_the_library_over_long_poll_calls_a_websocket_browser(chromium, chromium_b, gateway):
    a, b = caller_and_callee(chromium, chromium_b, gateway, transport="long-poll")
    a.call("1002")
    a.wait_for("answered")
    hear_each_other(a, b)
    b.hangup()
    assert a.wait_for("ended", timeout=2)["cause"] == "hangup"
    a.disconnect()
    b.disconnect()
    wait_until(lambda: nothing_open(gateway) and status(gateway)["gateway"]["signedIn"] == 0, 5, what="nothing left")


async def genesys_call(gateway, chromium_b):
    lp = LongPoll(gateway)
    loop = asyncio.get_running_loop()
    call = lambda f, *a: loop.run_in_executor(None, f, *a)
    await call(lp.sign_in, "1003", "any")
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone(GENESYS_TONE_HZ))
    received, rate = [], [48000]

    @pc.on("track")
    def on_track(track):
        async def read():
            while True:
                try:
                    frame = await track.recv()
                except Exception:
                    return
                received.append(frame.to_ndarray().reshape(-1)[::len(frame.layout.channels)])
                rate[0] = frame.sample_rate
        asyncio.ensure_future(read())

    # Outgoing: an RSMP OFFER to the peer `echo` (candidates in the SDP, not trickled).
    await pc.setLocalDescription(await pc.createOffer())
    await call(lp.send, "echo", "RSMP " + json.dumps({"messageType": "OFFER", "sdp": pc.localDescription.sdp,
                                                         "Candidates": []}))
    peer, word, body, _ = await call(lp.wait)
    assert (peer, word, body["messageType"]) == ("echo", "RSMP", "ANSWER"), (peer, word, body)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="answer"))
    await call(lp.send, "echo", 'RSMP {"messageType":"OK"}')
    assert (await call(lp.wait))[:2] == ("echo", "EVENT-TALK")
    for _ in range(100):
        if sum(len(r) for r in received) > rate[0]:
            break
        await asyncio.sleep(0.1)
    samples = np.concatenate(received[-50:]) if received else np.zeros(1)
    hz, level = dominant(samples, rate[0])
    assert abs(hz - GENESYS_TONE_HZ) < 20 and level > -40, (hz, level)   # its own tone, through echo
    await call(lp.send, "echo", "BYE")
    assert (await call(lp.wait))[:2] == ("echo", "GET-STATS")
    await call(lp.send, "echo", 'PUT-STATS {"packetsReceived": %d}' % len(received))
    assert (await call(lp.wait))[:2] == ("echo", "BYE")
    await pc.close()

    # Incoming: the gateway says INVITE (no offer); the client offers.
    b = Phone(chromium_b, gateway)
    assert b.connect("1002") == {"ok": True}
    b.driver.execute_script("window.phone.call('1003')")
    peer, word, _, _ = await call(lp.wait)
    assert (peer, word) == ("1002", "INVITE"), (peer, word)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone(GENESYS_TONE_HZ))
    await pc.setLocalDescription(await pc.createOffer())
    await call(lp.send, "1002", "RSMP " + json.dumps({"messageType": "OFFER", "sdp": pc.localDescription.sdp,
                                                         "Candidates": []}))
    peer, word, body, _ = await call(lp.wait)
    assert (peer, word, body["messageType"]) == ("1002", "RSMP", "ANSWER")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="answer"))
    assert (await call(lp.wait))[:2] == ("1002", "EVENT-TALK")
    b.wait_for("answered")
    m = await call(b.hears, GENESYS_TONE_HZ)
    assert heard(m, GENESYS_TONE_HZ), m
    await call(lp.send, "1002", "EVENT-HOLD")
    assert (await call(lp.wait))[:2] == ("1002", "EVENT-HOLD")
    await call(lp.send, "1002", "EVENT-TALK")
    assert (await call(lp.wait))[:2] == ("1002", "EVENT-TALK")
    await call(lp.send, "1002", "BYE")
    assert (await call(b.wait_for, "ended"))["cause"] == "hangup"
    await pc.close()
    await call(lp.request, "GET", f"/sign_out?id={lp.id}")
    b.disconnect()


def test_a_genesys_client_calls_and_is_called(gateway, chromium_b):
    asyncio.run(genesys_call(gateway, chromium_b))
    wait_until(lambda: nothing_open(gateway) and status(gateway)["gateway"]["signedIn"] == 0, 5, what="nothing left")


def test_no_message_is_lost_and_silent_clients_expire(start_gateway):
    gw = start_gateway("--poll-expiry", "2")
    lp = LongPoll(gw)
    lp.sign_in("1004", "x", json_dialect=True)
    lp.send("", 'JSON {"type":"ping"}')
    _, word, body, seq = lp.wait(ack=0)
    assert (word, body) == ("JSON", {"type": "pong"})
    # The client "lost" that response: without its acknowledgement the same message comes again.
    assert lp.wait(ack=0)[3] == seq
    lp.send("", 'JSON {"type":"ping"}')
    _, _, body, seq2 = lp.wait(ack=int(seq))
    assert body == {"type": "pong"} and int(seq2) == int(seq) + 1
    # Messages that are not words of the protocol are refused with a reason.
    s, _, text = lp.request("POST", f"/message?from={lp.id}&to=", "HELLO there")
    assert s == 400 and "unknown message word" in text
    # A client that stops polling is signed out: its registration and calls go.
    assert status(gw)["gateway"]["signedIn"] == 1
    wait_until(lambda: status(gw)["gateway"]["signedIn"] == 0 and status(gw)["gateway"]["sessions"] == 0, 8,
               what="the silent client to expire")
    assert lp.request("GET", f"/wait?id={lp.id}")[0] == 404
