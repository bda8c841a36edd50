"""The load generator (Benchmarks/load, run long by Benchmarks/gateway-load) keeps working: its simulated
browsers - our own STUN, DTLS client and SRTP - sign in over the WebSocket, call the embedded `echo` and get
every probe packet back, relayed and transcoded; a far end that answers nothing is no call up."""
import os
import re
import subprocess

import pytest

from conftest import BINARY

LOAD = os.path.join(os.path.dirname(BINARY), "gateway-load")


def run(gateway, codec, to="echo", calls=3):
    out = subprocess.run([LOAD, "--gateway", f"127.0.0.1:{gateway.port}", "--pid", str(gateway.proc.pid),
                          "--steps", str(calls), "--hold", "2", "--codec", codec, "--to", to],
                         capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr[-2000:]
    row = next(line for line in out.stdout.splitlines() if re.match(rf"\s+{calls}\s", line))
    return row.split(), out.stdout


@pytest.mark.parametrize("codec", ["pcmu", "opus"])
def test_simulated_browsers_call_echo_and_hear_it(start_gateway, codec):
    gw = start_gateway("--allowed-origin", "ws://127.0.0.1")
    fields, text = run(gw, codec)
    calls, up, failed, loss = fields[0], fields[1], fields[2], fields[11]
    assert (calls, up, failed) == ("3", "3", "0"), text
    assert float(loss) < 1.0, text
    if codec == "pcmu":
        assert fields[-4] != "-" and float(fields[-4]) > 0, text     # the round trip was measured on probes


def test_a_busy_far_end_is_no_call_up(start_gateway):
    gw = start_gateway("--allowed-origin", "ws://127.0.0.1")
    fields, text = run(gw, "pcmu", to="busy")
    assert (fields[1], fields[2]) == ("0", "3") and "busy" in text, text
