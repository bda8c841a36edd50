"""A web app on its own origin (a static server here, as a contact center's web server would be) imports the
gateway's /sdk/gateway.js across origins and, in Chromium, signs in over WebSocket and over long-poll and calls
echo: it hears its own tone back. The same page with the gateway not told of its origin cannot sign in (the
negative control): the browser keeps the library from it, and with a copy of the library from its own server
the gateway refuses its WebSocket and its long-poll sign-in."""
import pytest

from conftest import BROWSER_TONE_HZ, wait_until
from test_grtc_facade import app_server  # noqa: F401  (the app's own web server)

_ASYNC = "const done = arguments[arguments.length - 1];"


def run(driver, code, *args):
    return driver.execute_async_script(_ASYNC + f"({code}).then(done, (e) => done({{ok: false, message: String(e)}}));", *args)


def open_app(driver, origin, gw, library="gateway"):
    driver.get(f"{origin}/library_app.html?gw={gw.url}&lib={library}")
    wait_until(lambda: driver.execute_script("return !!window.appReady"), 10, what="the app's page")


@pytest.mark.parametrize("transport", ["websocket", "long-poll"])
def test_a_page_of_another_origin_signs_in_and_calls(chromium, start_gateway, app_server, transport):  # noqa: F811
    gw = start_gateway("--allowed-origin", app_server)
    open_app(chromium, app_server, gw)
    assert run(chromium, "window.app.connect(arguments[0], 'any', arguments[1])", "1010", transport) == {"ok": True}
    assert run(chromium, "window.app.call('echo')") == {"ok": True}
    wait_until(lambda: (m := chromium.execute_script("return window.app.measure()")) and abs(m["peakHz"] - BROWSER_TONE_HZ) < 30
               and m["peakDb"] > -50 and m, 8, what=f"its own {BROWSER_TONE_HZ} Hz back from echo")
    run(chromium, "window.app.hangup()")
    run(chromium, "window.app.disconnect()")


@pytest.mark.parametrize("transport", ["websocket", "long-poll"])
def test_a_page_of_an_origin_not_allowed_cannot_sign_in(chromium, start_gateway, app_server, transport):  # noqa: F811
    gw = start_gateway()
    open_app(chromium, app_server, gw)         # the browser keeps the gateway's library from the page
    result = run(chromium, "window.app.connect(arguments[0], 'any', arguments[1])", "1011", transport)
    assert result["ok"] is False and "import" in result["message"], result
    open_app(chromium, app_server, gw, library="local")   # with its own copy: the gateway refuses its origin
    result = run(chromium, "window.app.connect(arguments[0], 'any', arguments[1])", "1011", transport)
    assert result["ok"] is False, result
    assert gw.post("/status", "")[0] in (200, 404, 405)    # the gateway is still up
    assert "1011" not in gw.logs()                         # no session was opened for the page
