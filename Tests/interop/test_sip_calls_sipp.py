"""Calls from sipp (as UAC) to the numbers the gateway answers itself: a
basic call with hold and resume by re-INVITE and BYE from sipp, 486 busy,
CANCEL before the answer, the basic call over TCP, and again with 20 % of
the SIP messages lost (completed through retransmissions)."""
import os
import subprocess
import tempfile

import pytest

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
