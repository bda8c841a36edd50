"""The browser leg against real headless Chromium: the page sends a 1 kHz
tone, the gateway bridges it through the media core (Opus -> PCMU -> Opus)
and sends it back, and the page must hear the tone - by content, not by
packet counts. A gateway that sends back silence must fail the same check."""
import statistics

import pytest

from conftest import BROWSER_TONE_HZ, wait_until

OPEN = """
const [done, options] = [arguments[arguments.length - 1], arguments[0]];
const { openEcho } = window.echoTest;
openEcho(options).then(c => done({ id: c.id }), e => done({ error: String(e) }));
"""
MEASURE = "return window.echoTest.measure();"
STATS = """
const done = arguments[arguments.length - 1];
window.echoTest.inboundStats().then(s => done(s && { packets: s.packetsReceived, energy: s.totalAudioEnergy || 0 }));
"""
HANGUP = "const done = arguments[arguments.length - 1]; window.echoTest.hangup().then(() => done(true));"


def hears_tone(m):
    """The page heard the browser's own tone: the spectral peak is at the
    tone's frequency (within an analyser bin or two) and above -50 dBFS."""
    return abs(m["peakHz"] - BROWSER_TONE_HZ) <= 15 and m["peakDb"] > -50


def open_call(chromium, gateway, **options):
    chromium.get(gateway.url + "/test/echo.html")
    wait_until(lambda: chromium.execute_script("return !!window.echoTest"), 10, what="the test page")
    opened = chromium.execute_async_script(OPEN, options)
    assert "error" not in opened, opened
    return opened["id"]


def listen(chromium, seconds=6):
    """Measures for up to `seconds`; returns as soon as the tone is heard."""
    measurements = []

    def heard():
        measurements.append(chromium.execute_script(MEASURE))
        return hears_tone(measurements[-1])

    try:
        wait_until(heard, seconds, interval=0.25, what="the tone")
    except AssertionError:
        pass
    return measurements[-1]


@pytest.mark.parametrize("setup", ["passive", "active"])
def test_chromium_hears_its_own_tone_through_the_gateway(chromium, gateway, setup):
    sid = open_call(chromium, gateway, mode="echo", setup=setup)
    m = listen(chromium)
    stats = chromium.execute_async_script(STATS)
    status = gateway.session(sid)
    chromium.execute_async_script(HANGUP)
    assert status["state"] == "connected", status
    assert stats and stats["packets"] > 0, stats
    assert hears_tone(m), f"heard {m} (gateway: {status})"


def test_silent_far_end_fails_the_same_check(chromium, gateway):
    sid = open_call(chromium, gateway, mode="silent")
    wait_until(lambda: gateway.session(sid)["packetsToBrowser"] > 50, 10, what="media to the browser")
    m = listen(chromium, seconds=3)
    stats = chromium.execute_async_script(STATS)
    chromium.execute_async_script(HANGUP)
    assert stats["packets"] > 0  # packets flow, so packet counts prove nothing ...
    assert not hears_tone(m), m  # ... and the content check tells silence apart


def test_g711_only_offer_is_answered_with_pcmu(chromium, gateway):
    sid = open_call(chromium, gateway, mode="echo", codecs="pcmu")
    m = listen(chromium)
    status = gateway.session(sid)
    chromium.execute_async_script(HANGUP)
    assert hears_tone(m), m
    assert status["state"] == "connected", status
    # a browser that hangs up closes DTLS, and the gateway ends the leg
    wait_until(lambda: gateway.session(sid)["state"] == "closed", 5, what="the leg to close")


def test_time_from_offer_to_first_srtp(chromium, gateway):
    """Median over 20 calls of the time from the offer's arrival at the
    gateway to its first SRTP packet to the browser (printed for the notes)."""
    samples = []
    for _ in range(20):
        sid = open_call(chromium, gateway, mode="echo")
        s = wait_until(lambda: gateway.session(sid).get("offerToFirstSRTPUs"), 10, what="the first SRTP packet")
        samples.append(s / 1000)
        chromium.execute_async_script(HANGUP)
    print(f"\noffer -> first SRTP: median {statistics.median(samples):.1f} ms over {len(samples)} calls "
          f"(min {min(samples):.1f}, max {max(samples):.1f})")
    assert len(samples) == 20
