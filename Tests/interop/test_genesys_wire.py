"""The Genesys long-poll protocol as the Genesys client library reads it, by raw HTTP (no library), one
rule per test: an idle /wait is held and answered 200 (any other status ends the client's session), errors
in the form it recognises, no answer shown for a call that fails, ROAP ids echoed, statistics its way, its
own BYE not echoed and a close of its media around that BYE not taken for lost media, cross-origin access
for a configured origin."""
import asyncio
import http.client
import json
import time

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from aiortc_peer import Tone, hear, tone_peer
from conftest import wait_until
from long_poll import LongPoll, offer_and_answer
from phone import status

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
APP_ORIGIN = "http://app.example.test:8000"


def raw(gw, method, path, body=None, headers=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode())
    c.close()
    return out


def test_an_idle_wait_is_held_and_answered_200_and_the_client_stays(start_gateway):
    gw = start_gateway("--poll-hold", "1", "--poll-expiry", "2")
    lp = LongPoll(gw)
    lp.sign_in("1003", "any")
    started = time.monotonic()
    for _ in range(4):                      # 4 s of idle polling: twice the expiry
        s, _, body = lp.request("GET", f"/wait?id={lp.id}")
        assert (s, body) == (200, ""), (s, body)
    assert time.monotonic() - started >= 3.5   # each was held, not answered at once
    assert status(gw)["gateway"]["signedIn"] == 1
    # This gateway's own library (the JSON dialect) gets 204 for nothing to say.
    own = LongPoll(gw)
    own.sign_in("1004", "any", json_dialect=True)
    assert own.request("GET", f"/wait?id={own.id}")[0] == 204


async def offer(lp, pc, peer, **roap):
    loop = asyncio.get_running_loop()
    await pc.setLocalDescription(await pc.createOffer())
    message = {"messageType": "OFFER", "sdp": pc.localDescription.sdp, "Candidates": [], **roap}
    await loop.run_in_executor(None, lp.send, peer, "RSMP " + json.dumps(message))


def next_word(lp):
    return lp.wait()[:3]


async def busy_and_answered_calls(gw):
    loop = asyncio.get_running_loop()
    lp = LongPoll(gw)
    await loop.run_in_executor(None, lp.sign_in, "1003", "any")

    # A busy callee: no ANSWER first (it would show the app a remote stream), then an error it recognises.
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone(440))
    await offer(lp, pc, "busy")
    s, headers, text = await loop.run_in_executor(None, lambda: raw(gw, "GET", f"/wait?id={lp.id}"))
    assert s == 200 and headers["pragma"] == "busy", (s, headers, text)
    assert text.find("ERROR") > 0 and text.find("errorType") > 0 and text.find("{") > 0, text
    assert "OFFER" not in text and json.loads(text[text.find("{"):])["errorType"] == "busy", text
    assert await loop.run_in_executor(None, next_word, lp) == ("busy", "BYE", "")
    await pc.close()

    # An answered call: the ANSWER echoes the OFFER's ROAP ids; statistics come as PUT-STATS.
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone(440))
    await offer(lp, pc, "echo", offererSessionId="201", seq=1)
    peer, word, answer = await loop.run_in_executor(None, next_word, lp)
    assert (peer, word, answer["messageType"]) == ("echo", "RSMP", "ANSWER"), (peer, word, answer)
    assert answer["offererSessionId"] == "201" and answer["seq"] == 1 and answer["answererSessionId"], answer
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    await loop.run_in_executor(None, lp.send, "echo", 'RSMP {"messageType":"OK"}')

    # The client closes its media a moment before its BYE: a hang-up, no error, no BYE back.
    await pc.close()
    await asyncio.sleep(0.3)
    await loop.run_in_executor(None, lp.send, "echo", "BYE")
    await loop.run_in_executor(None, lambda: wait_until(lambda: status(gw)["gateway"]["calls"] == 0, 5, what="the end"))
    # An immediate redial is a new call: its ANSWER is the next word (no stray BYE or error in between).
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone(440))
    await offer(lp, pc, "echo")
    peer, word, answer = await loop.run_in_executor(None, next_word, lp)
    assert (peer, word, answer["messageType"]) == ("echo", "RSMP", "ANSWER"), (peer, word, answer)
    await pc.close()
    await loop.run_in_executor(None, lp.send, "echo", "BYE")


def test_errors_answers_ids_and_hang_ups_as_the_client_reads_them(start_gateway):
    gw = start_gateway("--poll-hold", "2")
    asyncio.run(busy_and_answered_calls(gw))
    assert "media-lost" not in gw.logs()


def test_a_configured_origin_may_sign_in_cross_origin_and_others_leave_nothing(start_gateway):
    gw = start_gateway("--allowed-origin", APP_ORIGIN)
    s, headers, _ = raw(gw, "OPTIONS", "/sign_in", headers={"Origin": APP_ORIGIN, "Access-Control-Request-Method": "POST",
                                                            "Access-Control-Request-Headers": "content-type"})
    assert s == 204 and headers["access-control-allow-origin"] == APP_ORIGIN, (s, headers)
    assert headers["access-control-allow-credentials"] == "true" and "POST" in headers["access-control-allow-methods"]
    assert headers["vary"] == "Origin"
    s, headers, body = raw(gw, "POST", "/sign_in", "1003:any", {"Origin": APP_ORIGIN})
    assert s == 200 and headers["access-control-allow-origin"] == APP_ORIGIN, (s, headers, body)
    assert headers["access-control-allow-credentials"] == "true" and "x-seq" in headers["access-control-expose-headers"].lower()
    s, headers, _ = raw(gw, "GET", "/sdk/gateway.js", headers={"Origin": APP_ORIGIN})
    assert s == 200 and headers["access-control-allow-origin"] == APP_ORIGIN
    assert status(gw)["gateway"]["signedIn"] == 1
    # Another origin: refused, no CORS headers, and no session or registration left behind.
    s, headers, _ = raw(gw, "POST", "/sign_in", "1005:any", {"Origin": "http://evil.example.test"})
    assert s == 403 and "access-control-allow-origin" not in headers
    s, headers, _ = raw(gw, "OPTIONS", "/sign_in", headers={"Origin": "http://evil.example.test",
                                                            "Access-Control-Request-Method": "POST"})
    assert s == 403 and "access-control-allow-origin" not in headers
    g = status(gw)["gateway"]
    assert (g["sessions"], g["signedIn"], g["registrations"]) == (1, 1, 1), g


async def new_peer_connection_per_offer(gw):
    loop = asyncio.get_running_loop()
    lp = LongPoll(gw)
    await loop.run_in_executor(None, lp.sign_in, "1003", "any")
    first, received, rate = tone_peer(440)
    await offer_and_answer(lp, first, "echo")
    await hear(received, rate, 440)
    # As the Genesys client does on Firefox: the old connection closed (its DTLS close_notify), a new one offers.
    await first.close()
    second, received2, rate2 = tone_peer(660)
    await offer_and_answer(lp, second, "echo")
    await hear(received2, rate2, 660)       # the same SIP call echoes the new connection's tone
    await asyncio.sleep(3)                  # past the hang-up grace the first close started
    g = status(gw)["gateway"]
    assert g["calls"] == 1, g
    await hear(received2, rate2, 660)
    await second.close()
    await loop.run_in_executor(None, lp.send, "echo", "BYE")
    await loop.run_in_executor(None, lambda: wait_until(lambda: status(gw)["gateway"]["calls"] == 0, 5, what="the end"))


def test_an_offer_on_a_new_peer_connection_keeps_the_call_with_the_new_connections_audio(start_gateway):
    gw = start_gateway("--poll-hold", "2")
    asyncio.run(new_peer_connection_per_offer(gw))
    assert "a new browser leg replaces the old" in gw.logs() and "media-lost" not in gw.logs()


async def abandoned_wait_then_call(gw):
    loop = asyncio.get_running_loop()
    lp = LongPoll(gw)
    await loop.run_in_executor(None, lp.sign_in, "1003", "any")
    # The client gives up on a /wait (its own timeout, shorter than the gateway's hold) and closes it; the
    # ANSWER that follows must reach its next /wait, not the closed one.
    try:
        await loop.run_in_executor(None, lambda: lp.request("GET", f"/wait?id={lp.id}", timeout=1))
        raise AssertionError("the gateway answered a /wait it should hold")
    except TimeoutError:
        pass
    pc, received, rate = tone_peer(440)
    await offer_and_answer(lp, pc, "echo")
    await hear(received, rate, 440)
    await pc.close()
    await loop.run_in_executor(None, lp.send, "echo", "BYE")


def test_an_abandoned_wait_does_not_take_the_next_message(start_gateway):
    gw = start_gateway("--poll-hold", "30")
    asyncio.run(abandoned_wait_then_call(gw))
