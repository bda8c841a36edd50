"""Calls from sipp (as UAC) to the numbers the gateway answers itself: a
basic call with hold and resume by re-INVITE and BYE from sipp, 486 busy,
CANCEL before the answer, the basic call over TCP, and again with 20 % of
the SIP messages lost (completed through retransmissions); and many calls at
once, spread over the embedded server's event loops."""
import json
import os
import subprocess
import tempfile
import urllib.request

import pytest

from conftest import wait_until

SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipp")


def run_sipp(gateway, scenario, *flags, calls=1, timeout=60):
    """Runs a sipp UAC scenario; on failure the returned stderr ends with sipp's error log."""
    with tempfile.NamedTemporaryFile(suffix=".log") as errors:
        out = subprocess.run(["sipp", f"127.0.0.1:{gateway.sip_port}", "-sf", os.path.join(SCENARIOS, scenario),
                              "-i", "127.0.0.1", "-p", "0", "-m", str(calls), "-l", "1", "-nostdin",
                              "-timeout", f"{timeout}s", "-timeout_error", "-trace_err", "-error_file", errors.name,
                              "-mi", "127.0.0.1", *flags],
                             capture_output=True, text=True, timeout=timeout + 30)
        out.stderr += open(errors.name, errors="replace").read()[-3000:]
    return out


@pytest.mark.parametrize("scenario", ["uac_echo_hold.xml", "uac_busy.xml", "uac_cancel.xml", "uac_session_timer.xml"])
def test_sipp_calls_the_gateway(gateway, scenario):
    out = run_sipp(gateway, scenario)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]


def test_call_with_hold_over_tcp(gateway):
    out = run_sipp(gateway, "uac_echo_hold.xml", "-t", "t1")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]


def test_calls_complete_with_twenty_percent_loss(gateway):
    out = run_sipp(gateway, "uac_echo_hold.xml", "-lost", "20", calls=5, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]


def embedded_dialogs_per_loop(gateway):
    with urllib.request.urlopen(gateway.url + "/status", timeout=5) as r:
        return json.loads(r.read())["embeddedServer"]["dialogsPerLoop"]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: the embedded server has one event loop")
def test_calls_spread_over_the_embedded_servers_loops(gateway):
    """The embedded server runs a shard on every event loop and hands each datagram to the shard its Call-ID
    belongs to: 120 calls held 4 s each (40 at once, plus their retransmissions, CANCELs and BYEs) all complete,
    which they would not if a call's messages reached different loops, and while they are up every loop
    holds some of them (none would if all went to the first)."""
    cancels = subprocess.Popen(["sipp", f"127.0.0.1:{gateway.sip_port}", "-sf", os.path.join(SCENARIOS, "uac_cancel.xml"),
                                "-i", "127.0.0.1", "-p", "0", "-m", "40", "-l", "10", "-r", "20", "-nostdin", "-timeout", "60s",
                                "-timeout_error", "-mi", "127.0.0.1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    calls = subprocess.Popen(["sipp", f"127.0.0.1:{gateway.sip_port}", "-sn", "uac", "-s", "echo", "-d", "4000", "-i", "127.0.0.1",
                              "-p", "0", "-m", "120", "-l", "40", "-r", "20", "-nostdin", "-timeout", "90s", "-timeout_error"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        per_loop = wait_until(lambda: (lambda d: d if len(d) >= 2 and min(d) > 0 else None)(embedded_dialogs_per_loop(gateway)),
                              30, what="calls held on every loop")
        print(f"\n  the embedded server's dialogs per event loop, 40 calls up: {per_loop}")
        out, _ = calls.communicate(timeout=120)
        assert calls.returncode == 0, out[-3000:]
        out, _ = cancels.communicate(timeout=60)
        assert cancels.returncode == 0, out[-3000:]
    finally:
        for p in (calls, cancels):
            if p.poll() is None:
                p.kill()
                p.wait()
    wait_until(lambda: sum(embedded_dialogs_per_loop(gateway)) == 0, 30, what="every dialog closed")
