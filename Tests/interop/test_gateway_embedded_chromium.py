"""The product end to end on its embedded default (no external SIP server):
headless Chromium signs in through /sdk/gateway.js, and its calls go as SIP
calls through the gateway's built-in registrar/proxy - to the `echo` number,
and from one page to another."""
import pytest

from conftest import BROWSER_TONE_HZ, wait_until

CONNECT = "const done = arguments[arguments.length - 1]; window.phone.connect(arguments[0], arguments[1], arguments[2]).then(done);"
CALL = "const done = arguments[arguments.length - 1]; window.phone.call(arguments[0]).then(done);"
HANGUP = "const done = arguments[arguments.length - 1]; window.phone.hangup().then(() => done(true));"
DISCONNECT = "const done = arguments[arguments.length - 1]; window.phone.disconnect().then(() => done(true));"


def open_phone(driver, gateway):
    driver.get(gateway.url + "/test/phone.html")
    wait_until(lambda: driver.execute_script("return !!window.phoneReady"), 10, what="the test page")


def events(driver):
    return driver.execute_script("return window.phone.events.map(e => e.what)")


def hears(driver, hz, seconds=8):
    """Waits for the far end's audio to peak at `hz` above -50 dBFS; returns the last measurement."""
    last = {}

    def heard():
        last.update(driver.execute_script("return window.phone.measure()"))
        return abs(last["peakHz"] - hz) <= 15 and last["peakDb"] > -50
    try:
        wait_until(heard, seconds, interval=0.25, what=f"{hz} Hz")
    except AssertionError:
        pass
    return last


def test_sign_in_and_call_echo(chromium, gateway):
    open_phone(chromium, gateway)
    assert chromium.execute_async_script(CONNECT, "1001", "secret", "websocket") == {"ok": True}
    chromium.execute_async_script(CALL, "echo")
    wait_until(lambda: "answered" in events(chromium), 10, what="the answer")
    m = hears(chromium, BROWSER_TONE_HZ)
    assert abs(m["peakHz"] - BROWSER_TONE_HZ) <= 15 and m["peakDb"] > -50, m
    chromium.execute_async_script(HANGUP)
    assert "ended" in events(chromium)
    chromium.execute_async_script(DISCONNECT)
