"""The HTTP long-poll transport: the library over it (a browser that cannot
use WebSockets), a client speaking the Genesys words (aiortc as the WebRTC
peer), no message lost when a response does not arrive, and the expiry of
a client that stops polling."""
import asyncio
import json

import aioice.ice
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from aiortc_peer import Tone, dominant, record
from conftest import wait_until
from long_poll import LongPoll, answer_offer, offer_and_answer
from phone import Phone, caller_and_callee, hear_each_other, heard, nothing_open, status

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
GENESYS_TONE_HZ = 440


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

    record(pc, received, rate)

    # Outgoing: an RSMP OFFER to the peer `echo`.
    # The ANSWER comes once the far end has answered: it is the client's sign that the call is up.
    await offer_and_answer(lp, pc, "echo")
    await call(lp.send, "echo", 'RSMP {"messageType":"OK"}')
    for _ in range(100):
        if sum(len(r) for r in received) > rate[0]:
            break
        await asyncio.sleep(0.1)
    samples = np.concatenate(received[-50:]) if received else np.zeros(1)
    hz, level = dominant(samples, rate[0])
    assert abs(hz - GENESYS_TONE_HZ) < 20 and level > -40, (hz, level)   # its own tone, through echo
    # Statistics run the client's way: its GET-STATS gets the gateway's PUT-STATS.
    await call(lp.send, "echo", "GET-STATS")
    peer, word, stats, _ = await call(lp.wait)
    assert (peer, word) == ("echo", "PUT-STATS") and stats["packetsToBrowser"] > 50, (peer, word, stats)
    # Its own BYE gets no BYE back (that would end its next call): the next word is the next call's offer.
    await call(lp.send, "echo", "BYE")
    await pc.close()
    wait_until(lambda: status(gateway)["gateway"]["calls"] == 0, 5, what="the call's end")

    # Incoming: the browser's call reaches the gateway as a SIP INVITE with its offer, so the gateway offers to
    # the client (SDP ... OFFER), which answers.
    b = Phone(chromium_b, gateway)
    assert b.connect("1002") == {"ok": True}
    b.driver.execute_script("window.phone.call('1003')")
    peer, word, offer, _ = await call(lp.wait)
    assert (peer, word, offer["messageType"]) == ("1002", "SDP", "OFFER"), (peer, word, offer)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone(GENESYS_TONE_HZ))
    await answer_offer(lp, pc, "1002", offer)
    b.wait_for("answered")
    m = await call(b.hears, GENESYS_TONE_HZ)
    assert heard(m, GENESYS_TONE_HZ), m
    # INFO both ways: the client's INFO-PEER (JSON) and INFO-MAP (form-encoded, as jQuery's $.param writes it)
    # reach the page as SIP INFO through the embedded server; the page's INFO comes back form-encoded.
    await call(lp.send, "1002", 'INFO-PEER {"note":"hi"}')
    await call(lp.send, "1002", "INFO-MAP a=1+2")
    def two_infos():
        infos = [e for e in b.events() if e["what"] == "info"]
        return infos if len(infos) == 2 else None
    infos = await call(wait_until, two_infos, 10, 0.05, "two INFOs at the page")
    assert [(i["content"], i["map"]) for i in infos] == [({"note": "hi"}, False), ({"a": "1 2"}, True)], infos
    b.driver.execute_script("window.phone.info(arguments[0], false)", {"x": 1})
    assert (await call(lp.wait))[:3] == ("1002", "INFO-PEER", "x=1")
    # Hold and resume as the Genesys client does them: a re-offer on its peer connection (inactive, then
    # sendrecv), each answered at once; the page on the SIP side sees the hold and the resume.
    for direction, event in (("inactive", "held"), ("sendrecv", "resumed")):
        pc.getTransceivers()[0].direction = direction
        await pc.setLocalDescription(await pc.createOffer())
        reoffer = {"messageType": "OFFER", "sdp": pc.localDescription.sdp, "Candidates": [], "seq": 2}
        await call(lp.send, "1002", "RSMP " + json.dumps(reoffer))
        peer, word, answer, _ = await call(lp.wait)
        assert (peer, word, answer["messageType"], answer["seq"]) == ("1002", "RSMP", "ANSWER", 2), (peer, word, answer)
        assert f"a={direction}" in answer["sdp"], answer["sdp"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        assert (await call(b.wait_for, event))["by"] == "remote"
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
