"""GET /metrics: the Prometheus exposition passes Prometheus's own `promtool check metrics`, and its figures
follow what happened: an answered call to `echo` and a busy one are counted by cause and SIP class, only the
answered one has a setup time, the user agent's SIP messages are counted by method and class, and a refusal
by its reason."""
import asyncio
import json
import re
import subprocess
import urllib.request

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from aiortc_peer import Tone, record
from conftest import wait_until
from echo_call import EchoCall
from long_poll import LongPoll
from phone import status


def scrape(gw):
    with urllib.request.urlopen(gw.url + "/metrics", timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers["Content-Type"]
        return r.read().decode()


def value(text, series):
    """The value of one series (`name{labels}` exactly as exposed, labels in any order), or None."""
    name, _, labels = series.partition("{")
    wanted = sorted(labels.rstrip("}").split(",")) if labels else []
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$", line)
        if m and m.group(1) == name and sorted((m.group(2) or "").split(",") if m.group(2) else []) == wanted:
            return float(m.group(3))
    return None


async def calls(gw):
    call = EchoCall(gw, "1003")
    await call.start()
    heard, figures = await call.hears_its_tone()
    assert heard, figures
    during = scrape(gw)
    await call.hang_up()
    # A busy callee: the far end's 486 ends the call (an error word, no answer).
    loop = asyncio.get_running_loop()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone(440))
    await pc.setLocalDescription(await pc.createOffer())
    offer = {"messageType": "OFFER", "sdp": pc.localDescription.sdp, "Candidates": []}
    await loop.run_in_executor(None, call.lp.send, "busy", "RSMP " + json.dumps(offer))
    peer, word, body, _ = await loop.run_in_executor(None, call.lp.wait)
    assert peer == "busy" and "busy" in json.dumps(body), (peer, word, body)
    await pc.close()
    return during


def test_the_exposition_passes_promtool_and_counts_what_happened(start_gateway):
    gw = start_gateway()
    # An anonymous sign-in is refused (off by default): counted by its reason.
    s, _, _ = LongPoll(gw).request("GET", "/sign_in?1009")
    assert s == 400 or s == 200
    during = asyncio.run(calls(gw))
    assert value(during, 'gateway_calls{state="answered"}') == 1, during
    assert value(during, "gateway_signed_in_users") == 1
    wait_until(lambda: status(gw)["gateway"]["calls"] == 0, 10, what="the calls to end")
    text = scrape(gw)

    check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0 and not check.stdout.strip() and not check.stderr.strip(), (check.stdout, check.stderr)
    # The control: promtool does find fault with the same text once a metric has lost its help.
    broken = "\n".join(l for l in text.splitlines() if not l.startswith("# HELP gateway_sessions ")) + "\n"
    assert subprocess.run(["promtool", "check", "metrics"], input=broken, capture_output=True, text=True,
                          timeout=30).returncode != 0

    hung_up = 'gateway_calls_ended_total{direction="outgoing",cause="hangup",sip_class="none"}'
    assert value(text, hung_up) == 1, text
    assert value(text, 'gateway_calls_ended_total{direction="outgoing",cause="busy",sip_class="4xx"}') == 1, text
    assert value(text, "gateway_call_setup_seconds_count") == 1        # the busy call was never answered
    assert 0 < value(text, "gateway_call_setup_seconds_sum") < 5
    assert value(text, 'gateway_calls{state="answered"}') == 0
    assert value(text, 'gateway_sip_requests_total{direction="out",method="INVITE"}') >= 2
    assert value(text, 'gateway_sip_requests_total{direction="out",method="REGISTER"}') >= 1
    assert value(text, 'gateway_sip_responses_total{direction="in",class="2xx"}') >= 2
    assert value(text, 'gateway_sip_responses_total{direction="in",class="4xx"}') >= 1
    assert value(text, 'gateway_refusals_total{reason="anonymous-sign-in"}') == 1, text
    assert value(text, "gateway_browser_leg_packets_total") > 50
    assert value(text, "gateway_ready") == 1 and value(text, "gateway_event_loop_delay_seconds_count") >= 1


async def json_dialect_echo(gw):
    """A call to echo by this gateway's own protocol over long-poll: its `ended` event, as the page gets it."""
    loop = asyncio.get_running_loop()
    lp = LongPoll(gw)
    await loop.run_in_executor(None, lambda: lp.sign_in("1005", "any", json_dialect=True))
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone(660))
    received, rate = [], [48000]
    record(pc, received, rate)
    await pc.setLocalDescription(await pc.createOffer())
    request = {"type": "call", "call": "q1", "to": "echo", "sdp": pc.localDescription.sdp}
    await loop.run_in_executor(None, lp.send, "", "JSON " + json.dumps(request))

    async def next_event(kind):
        while True:
            _, word, body, _ = await loop.run_in_executor(None, lp.wait)
            if word == "JSON" and body.get("type") == kind:
                return body
    answer = await next_event("sdp")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    await next_event("answered")
    for _ in range(100):      # two seconds of our own tone back, at least
        if sum(len(r) for r in received) > 2 * rate[0]:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.6)   # a leg publishes what it measured every half second
    await loop.run_in_executor(None, lp.send, "", 'JSON {"type":"hangup","call":"q1"}')
    ended = await next_event("ended")
    await pc.close()
    return ended


def test_the_ended_event_the_log_and_the_metrics_carry_the_calls_quality(start_gateway):
    gw = start_gateway()
    ended = asyncio.run(json_dialect_echo(gw))
    quality = ended.get("quality", {})
    for leg in ("browser", "sip"):
        assert quality.get(leg, {}).get("mos", 0) > 4.0, ended      # a clean loopback call
        assert quality[leg]["packetsReceived"] > 50 and quality[leg]["lossPercent"] < 1, ended
    assert re.search(r"call \S+ quality: browser leg MOS 4\.\d+, loss 0\.0 %, jitter [\d.]+ ms", gw.logs()), gw.logs()[-1500:]
    text = scrape(gw)
    assert value(text, 'gateway_call_mos_count{leg="browser"}') == 1 and value(text, 'gateway_call_mos_count{leg="sip"}') == 1
    packets = value(text, 'gateway_media_packets_received_total{leg="browser"}')
    assert packets > 50
    # PCMU: 160 payload bytes each 20 ms packet.
    assert value(text, 'gateway_media_bytes_received_total{leg="browser"}') == 160 * packets, text
    assert value(text, 'gateway_media_bytes_sent_total{leg="sip"}') > 0
    assert value(text, 'gateway_call_jitter_seconds_count{leg="browser"}') == 1
    assert value(text, "gateway_time_to_first_audio_seconds_count") == 1
    assert 0 < value(text, "gateway_time_to_first_audio_seconds_sum") < 5
    assert value(text, 'gateway_calls_media_total{mode="relay"}') == 1     # aiortc offers PCMU too: relayed
    assert value(text, "gateway_sip_retransmissions_total") is not None
