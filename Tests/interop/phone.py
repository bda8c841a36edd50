"""Drives the library test page (/test/phone.html, which uses /sdk/gateway.js)
in a selenium-controlled Chromium."""
import json
import urllib.request

from conftest import wait_until

_ASYNC = "const done = arguments[arguments.length - 1];"


class Phone:
    def __init__(self, driver, gateway):
        self.driver = driver
        self.gateway = gateway
        driver.get(gateway.url + "/test/phone.html")
        wait_until(lambda: driver.execute_script("return !!window.phoneReady"), 10, what="the test page")

    def run(self, js, *args):
        return self.driver.execute_async_script(_ASYNC + js, *args)

    def connect(self, user, password="secret", transport="websocket"):
        return self.run("window.phone.connect(arguments[0], arguments[1], arguments[2]).then(done);",
                        user, password, transport)

    def call(self, number, codecs=None):
        return self.run("window.phone.call(arguments[0], arguments[1]).then(done);", number, codecs)

    def auto_answer(self):
        self.driver.execute_script("window.phone.autoAnswer = true;")

    def hangup(self):
        self.run("window.phone.hangup().then(() => done(true));")

    def hold(self):
        return self.run("window.phone.hold().then(done);")

    def resume(self):
        return self.run("window.phone.resume().then(done);")

    def dtmf(self, digits):
        self.driver.execute_script("window.phone.dtmf(arguments[0]);", digits)

    def disconnect(self):
        self.run("window.phone.disconnect().then(() => done(true));")

    def events(self):
        return self.driver.execute_script("return window.phone.events")

    def names(self):
        return [e["what"] for e in self.events()]

    def event(self, what):
        return next((e for e in self.events() if e["what"] == what), None)

    def wait_for(self, what, timeout=10):
        return wait_until(lambda: self.event(what), timeout, what=f"the page's '{what}' event")

    def state(self):
        return self.driver.execute_script("return window.phone.state()")

    def measure(self):
        return self.driver.execute_script("return window.phone.measure()")

    def hears(self, hz, seconds=8):
        """Waits for the far end's audio to peak at `hz` above -50 dBFS; returns the last measurement."""
        last = {}

        def heard():
            last.update(self.measure())
            return abs(last["peakHz"] - hz) <= 15 and last["peakDb"] > -50
        try:
            wait_until(heard, seconds, interval=0.25, what=f"{hz} Hz")
        except AssertionError:
            pass
        return last


def caller_and_callee(driver_a, driver_b, gateway, transport="websocket"):
    """Two signed-in pages: 1001 (over `transport`) and 1002, which answers whatever rings."""
    a, b = Phone(driver_a, gateway), Phone(driver_b, gateway)
    assert a.connect("1001", transport=transport) == {"ok": True}
    assert b.connect("1002") == {"ok": True}
    b.auto_answer()
    return a, b


def heard(m, hz):
    return abs(m["peakHz"] - hz) <= 15 and m["peakDb"] > -50


def hear_each_other(a, b):
    """Browser `a` (1 kHz) and browser `b` (600 Hz) in a call hear each other's tone."""
    from conftest import BROWSER_TONE_HZ, SECOND_BROWSER_TONE_HZ
    for phone, hz in [(a, SECOND_BROWSER_TONE_HZ), (b, BROWSER_TONE_HZ)]:
        m = phone.hears(hz)
        assert heard(m, hz), m


def status(gateway):
    with urllib.request.urlopen(gateway.url + "/status", timeout=5, context=gateway.ssl_context) as r:
        return json.loads(r.read())


def nothing_open(gateway):
    """No session, call or SIP dialog left at the gateway (nor at its embedded server)."""
    s = status(gateway)
    g = s["gateway"]
    return (g["calls"] == 0 and g["sipDialogs"] == 0 and g["sipPlacedCalls"] == 0
            and s.get("embeddedServer", {}).get("dialogs", 0) == 0) and s
