"""A web app written against the Genesys WebRTC JavaScript API, on its own origin (a static server here),
swaps its script tag for the gateway's /sdk/grtc.js and runs unchanged in Chromium: it registers, fails
to reach a busy and an unknown number (onGatewayError, no remote stream), calls echo and hears its own tone,
holds and resumes (silence, then the tone again), reads the gateway's statistics, stays 60 s in the call
with the signaling idle (the gateway holding each poll), hangs up and redials at once, and takes a call
from a second browser by INVITE with INFO both ways (form-encoded) and the far end's hold and resume."""
import functools
import http.server
import os
import threading
import time

import pytest

from conftest import BROWSER_TONE_HZ, SECOND_BROWSER_TONE_HZ, wait_until
from phone import Phone, nothing_open, status
from sip_peers import run_sipp

HERE = os.path.dirname(os.path.abspath(__file__))
_ASYNC = "const done = arguments[arguments.length - 1];"


@pytest.fixture
def app_server():
    """A plain static server for the app's page: its origin is not the gateway's."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=os.path.join(HERE, "grtc_app"))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(timeout=5)


class App:
    def __init__(self, driver, origin, gateway):
        self.driver = driver
        driver.get(f"{origin}/app.html?gw={gateway.url}")
        wait_until(lambda: driver.execute_script("return !!window.appReady"), 10, what="the app's page")
        assert driver.execute_async_script(_ASYNC + "window.app.load().then(done, (e) => done(String(e)));") == "object"

    def js(self, code, *args):
        return self.driver.execute_script(code, *args)

    def events(self, what):
        return [e for e in self.js("return window.app.events") if e["what"] == what]

    def wait_for(self, what, count=1, timeout=10):
        return wait_until(lambda: len(self.events(what)) >= count and self.events(what), timeout,
                          what=f"the app's {count}. '{what}'")[count - 1]

    def hears(self, hz, seconds=8):
        return wait_until(lambda: (m := self.js("return window.app.measure()")) and abs(m["peakHz"] - hz) < 30
                          and m["peakDb"] > -50 and m, seconds, what=f"{hz} Hz from the far end")

    def silent(self, seconds=5):
        return wait_until(lambda: (m := self.js("return window.app.measure()"))["peakDb"] < -80 and m, seconds,
                          what="silence from the far end")


def test_a_grtc_app_on_another_origin_runs_unchanged(chromium, chromium_b, start_gateway, app_server):
    gw = start_gateway("--allowed-origin", app_server, "--poll-hold", "20")
    app = App(chromium, app_server, gw)
    app.js("window.app.register('1003', 'x', 0)")     # polling_timeout 0: the gateway's hold ends each poll
    app.wait_for("register")
    app.wait_for("media")

    for number, errors in (("busy", ("busy",)), ("nobody", ("not-found",))):
        app.js("window.app.call(arguments[0])", number)
        error = app.wait_for("gateway-error", count=1 if number == "busy" else 2)["error"]
        assert error in errors, error
        app.wait_for("peer-closing", count=1 if number == "busy" else 2)
    assert app.events("remote-stream") == []           # a failed call never showed a remote stream

    app.js("window.app.call('echo', [{key: 'Account', value: '42'}])")
    app.wait_for("remote-stream")
    app.hears(BROWSER_TONE_HZ)                         # its own tone, back through echo
    app.js("window.app.stats()")
    assert app.wait_for("stats")["stats"]["packetsToBrowser"] > 0
    app.js("window.app.hold()")
    app.silent()
    app.js("window.app.resume()")
    app.hears(BROWSER_TONE_HZ)
    closings = len(app.events("peer-closing"))
    # A minute in the call with nothing to say: each poll held by the gateway and answered 200. The idle
    # minute is the claim itself: there is nothing to wait on but the clock.
    time.sleep(60)
    app.hears(BROWSER_TONE_HZ)
    assert app.events("connection-error") == [] and len(app.events("peer-closing")) == closings
    app.js("window.app.hangup(); window.app.call('echo')")     # hang up and redial at once
    app.wait_for("remote-stream", count=2)
    app.hears(BROWSER_TONE_HZ)
    assert len(app.events("peer-closing")) == closings  # its own BYE got none back
    app.js("window.app.hangup()")
    wait_until(lambda: nothing_open(gw), 10, what="the app's calls to end")

    # A call from a second browser (this gateway's own library over its WebSocket): its SIP INVITE brings an
    # offer, so the gateway offers to the app, with the data of the INVITE (none here).
    b = Phone(chromium_b, gw)
    assert b.connect("1002", "x") == {"ok": True}
    b.driver.execute_script("window.phone.call('1003')")
    incoming = app.wait_for("incoming")
    assert (incoming["peer"], incoming["event"]) == ("1002", "offer")
    app.js("window.app.accept()")
    app.wait_for("remote-stream", count=3)
    b.wait_for("answered")
    app.hears(SECOND_BROWSER_TONE_HZ)
    b.hears(BROWSER_TONE_HZ)
    app.js("window.app.info({a: '1 2', b: 'x&y'}, true)")
    info = b.wait_for("info")
    assert (info["content"], info["map"]) == ({"a": "1 2", "b": "x&y"}, True), info
    b.driver.execute_script("window.phone.info(arguments[0], true)", {"note": "hi there"})
    assert app.wait_for("info")["data"] == {"note": "hi there"}
    assert b.hold()["ok"]                              # the far end holds: the app is told, and holds too
    assert app.wait_for("notify")["event"] == "hold"
    assert b.resume()["ok"]
    assert app.wait_for("notify", count=2)["event"] == "talk"
    app.hears(SECOND_BROWSER_TONE_HZ)
    b.hangup()
    app.wait_for("peer-closing", count=closings + 1)
    b.disconnect()
    wait_until(lambda: nothing_open(gw), 10, what="nothing left open")


def test_a_grtc_app_renewing_its_peer_connection_per_offer_keeps_its_call(chromium, start_gateway, app_server):
    """setRenewSessionOnNeed(true), the Genesys library's way on Firefox: hold and resume each come from a new
    peer connection; the call stays one SIP call and the app hears itself again after each."""
    gw = start_gateway("--allowed-origin", app_server, "--poll-hold", "20")
    app = App(chromium, app_server, gw)
    app.js("window.app.register('1003', 'x', 0, true)")
    app.wait_for("register")
    app.wait_for("media")
    app.js("window.app.call('echo')")
    app.wait_for("remote-stream")
    app.hears(BROWSER_TONE_HZ)
    app.js("window.app.hold()")
    app.wait_for("remote-stream", count=2)             # the new connection's stream
    app.silent()
    app.js("window.app.resume()")
    app.wait_for("remote-stream", count=3)
    app.hears(BROWSER_TONE_HZ)
    time.sleep(3)                                      # past the hang-up grace the old connections' close started
    app.hears(BROWSER_TONE_HZ)
    assert app.events("peer-closing") == [] and app.events("gateway-error") == []
    assert gw.logs().count("a new browser leg replaces the old") == 2
    app.js("window.app.hangup()")
    wait_until(lambda: nothing_open(gw), 10, what="the call to end")


def test_a_grtc_app_takes_sip_calls_by_offer_with_their_data_and_by_invite(chromium, start_gateway, app_server,
                                                                          rtp_peer):
    """A SIP phone (sipp, its audio a 600 Hz RTP peer) calls the app through the embedded server: with an offer
    and an X-Genesys-Account header the app gets the gateway's offer (onIncomingCall, event "offer") and the
    data (getData()); with a delayed offer it gets INVITE and offers. Each time acceptCall connects it and it
    hears the phone; the phone's BYE reaches onPeerClosing."""
    gw = start_gateway("--allowed-origin", app_server, "--poll-hold", "20", "--sip-domain", "example.com")  # the phone's
    app = App(chromium, app_server, gw)
    app.js("window.app.register('1003', 'x', 0)")
    app.wait_for("register")
    app.wait_for("media")
    for n, (scenario, event) in enumerate((("uac_call_browser.xml", "offer"),
                                            ("uac_call_browser_delayed_offer.xml", "invite")), start=1):
        peer = rtp_peer(hz=600)
        sipp = run_sipp(f"127.0.0.1:{gw.sip_port}", scenario, "-s", "1003", "-p", "0", "-set", "rtpport", str(peer.port),
                        "-d", "5000", background=True)
        try:
            incoming = app.wait_for("incoming", count=n)
            assert (incoming["peer"], incoming["event"]) == ("9000", event), incoming
            app.js("window.app.accept()")
            app.wait_for("remote-stream", count=n)
            app.hears(600)
            if event == "offer":
                assert app.js("return window.app.data()") == [{"key": "Account", "value": "42"}]
            app.wait_for("peer-closing", count=n, timeout=15)
            out, _ = sipp.communicate(timeout=20)
            assert sipp.returncode == 0, out[-2000:]
        finally:
            if sipp.poll() is None:
                sipp.kill()
        wait_until(lambda: nothing_open(gw), 10, what="the call's end")


@pytest.mark.minutes
@pytest.mark.timeout(240)
def test_a_grtc_app_idle_for_a_minute_stays_signed_in_and_calls(chromium, start_gateway, app_server):
    """The app signed in with the Genesys client's default polling timeout (30 s, shorter than the gateway's
    hold: each /wait is given up and sent again) and idle for a minute: no connection error, still signed in,
    and a call to echo afterwards brings its tone back. Run beside the suite (the `minutes` marker)."""
    gw = start_gateway("--allowed-origin", app_server)
    app = App(chromium, app_server, gw)
    app.js("window.app.register('1003', 'x')")
    app.wait_for("register")
    app.wait_for("media")
    time.sleep(65)                  # the idle minute is the claim itself: nothing to wait on but the clock
    assert app.events("connection-error") == [] and app.events("failed") == [] and app.events("peer-closing") == []
    assert status(gw)["gateway"]["signedIn"] == 1
    app.js("window.app.call('echo')")
    app.wait_for("remote-stream")
    app.hears(BROWSER_TONE_HZ)
    app.js("window.app.hangup()")
    wait_until(lambda: nothing_open(gw), 10, what="the call to end")
