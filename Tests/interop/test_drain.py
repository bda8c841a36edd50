"""Graceful drain: on SIGTERM the gateway goes not ready (/readyz 503), refuses new sessions and calls, lets
the calls up go on (their audio still flowing) and, once they have ended, unregisters every user and exits 0.
A call still up at --drain-timeout is ended by the gateway; a second signal ends it at once. Against kamailio
as the SIP server: a call to the gateway's users finds their bindings before the drain, none after it."""
import asyncio
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import wait_until
from echo_call import EchoCall
from long_poll import LongPoll
from sip_peers import DOMAIN, HERE, USERS, start_kamailio



def probe(gw, path):
    try:
        with urllib.request.urlopen(gw.url + path, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def exit_code(gw, within):
    return gw.proc.wait(within)


async def survives_then_ends(gw):
    call = EchoCall(gw, "1003")
    await call.start()
    heard, figures = await call.hears_its_tone()
    assert heard, figures
    gw.proc.send_signal(signal.SIGTERM)
    wait_until(lambda: probe(gw, "/readyz")[0] == 503, 5, what="/readyz to say not ready")
    assert probe(gw, "/readyz") == (503, "not ready: draining\n")
    assert probe(gw, "/healthz")[0] == 200
    # New sessions are refused, with Retry-After; the call up goes on, its audio flowing.
    s, headers, body = LongPoll(gw).request("POST", "/sign_in", "1004:any")
    assert (s, body.strip()) == (503, "error=draining") and headers.get("Retry-After"), (s, headers, body)
    heard, figures = await call.hears_its_tone()
    assert heard, ("the call's audio stopped at the drain", figures)
    assert gw.proc.poll() is None
    await call.hang_up()
    assert await asyncio.get_running_loop().run_in_executor(None, exit_code, gw, 10) == 0


def test_a_call_survives_the_start_of_a_drain_and_ends_normally(start_gateway):
    gw = start_gateway("--drain-timeout", "60")
    assert probe(gw, "/readyz") == (200, "ready\n")
    asyncio.run(survives_then_ends(gw))
    logs = gw.logs()
    assert "draining: 1 calls up" in logs and "stopped" in logs, logs[-2000:]
    assert "hung up by the browser (hangup)" in logs and "drain over" not in logs, logs[-2000:]


async def cut_by(gw, how):
    call = EchoCall(gw, "1003")
    await call.start()
    started = time.monotonic()
    gw.proc.send_signal(signal.SIGTERM)
    if how == "second signal":
        wait_until(lambda: probe(gw, "/readyz")[0] == 503, 5, what="the drain")
        gw.proc.send_signal(signal.SIGTERM)
    code = await asyncio.get_running_loop().run_in_executor(None, exit_code, gw, 15)
    await call.pc.close()
    return code, time.monotonic() - started


@pytest.mark.parametrize("how", ["drain timeout", "second signal"])
def test_a_call_left_is_ended_at_the_drain_timeout_or_at_once_on_a_second_signal(start_gateway, how):
    gw = start_gateway("--drain-timeout", "3" if how == "drain timeout" else "60")
    code, took = asyncio.run(cut_by(gw, how))
    assert code == 0, gw.logs()[-2000:]
    assert took < (8 if how == "drain timeout" else 6), took
    if how == "drain timeout":
        assert took >= 2.9, took
    logs = gw.logs()
    assert "drain over: ending 1 calls" in logs and "(shutdown)" in logs, logs[-2000:]


@pytest.fixture
def kamailio():
    for port, _ in start_kamailio():
        yield port


def call_through(kamailio, user, expected, tmp_path):
    scenario = tmp_path / f"call-{user}-{expected}.xml"
    with open(os.path.join(HERE, "sipp", "uac_call_user.xml")) as f:
        scenario.write_text(f.read().replace("EXPECTED_CODE", str(expected)))
    run = subprocess.run(["sipp", f"127.0.0.1:{kamailio}", "-sf", str(scenario), "-s", user, "-i", "127.0.0.1", "-p", "0",
                          "-m", "1", "-nostdin", "-timeout", "20s", "-timeout_error"], capture_output=True, text=True,
                         timeout=60)
    return run.returncode == 0


def test_the_sip_server_sees_every_user_unregistered(kamailio, start_gateway, tmp_path):
    gw = start_gateway("--sip-server", f"127.0.0.1:{kamailio}", "--sip-domain", DOMAIN, "--register",
                       f"1001:{USERS['1001']}")
    wait_until(lambda: probe(gw, "/readyz")[0] == 200, 15, what="ready: kamailio answers, 1001 registered")
    lp = LongPoll(gw)
    lp.sign_in("1002", USERS["1002"])                  # a browser user, registered at its sign-in
    assert call_through(kamailio, "1001", 480, tmp_path)   # bound: kamailio relays to the gateway
    gw.proc.send_signal(signal.SIGTERM)
    assert exit_code(gw, 15) == 0, gw.logs()[-2000:]
    # Unbound: kamailio itself answers 404 (a negative control of the first call).
    assert call_through(kamailio, "1001", 404, tmp_path)
    assert call_through(kamailio, "1002", 404, tmp_path)
