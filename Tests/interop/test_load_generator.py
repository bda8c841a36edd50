"""The load generator (Benchmarks/load, run long by Benchmarks/gateway-load) keeps working: its simulated
browsers - our own STUN, DTLS client and SRTP - sign in over the WebSocket, call the embedded `echo` and get
every probe packet back, relayed and transcoded; a far end that answers nothing is no call up. The same
browsers through rtpengine (driven over its ng protocol, as the comparison does) get their audio back too."""
import os
import re
import shutil
import subprocess
import types

import pytest

from conftest import BINARY, free_port, wait_until

LOAD = os.path.join(os.path.dirname(BINARY), "gateway-load")


def run(gateway, codec, to="echo", calls=3, extra=()):
    out = subprocess.run([LOAD, "--gateway", f"127.0.0.1:{gateway.port}", "--pid", str(gateway.proc.pid),
                          "--steps", str(calls), "--hold", "2", "--codec", codec, "--to", to, *extra],
                         capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr[-2000:]
    row = next(line for line in out.stdout.splitlines() if re.match(rf"\s+{calls}\s", line))
    return row.split(), out.stdout


@pytest.mark.parametrize("codec", ["pcmu", "opus"])
def test_simulated_browsers_call_echo_and_hear_it(start_gateway, codec):
    gw = start_gateway("--allowed-origin", "ws://127.0.0.1")
    fields, text = run(gw, codec)
    calls, up, failed, loss, back = fields[0], fields[1], fields[2], fields[11], fields[12]
    assert (calls, up, failed) == ("3", "3", "0"), text
    assert float(loss) < 1.0 and float(back) > 40, text     # audio back at about 50 packets a second
    if codec == "pcmu":
        assert fields[-4] != "-" and float(fields[-4]) > 0, text     # the round trip was measured on probes


def test_a_busy_far_end_is_no_call_up(start_gateway):
    gw = start_gateway("--allowed-origin", "ws://127.0.0.1")
    fields, text = run(gw, "pcmu", to="busy")
    assert (fields[1], fields[2]) == ("0", "3") and "busy" in text, text


@pytest.fixture
def rtpengine(tmp_path):
    if not shutil.which("rtpengine"):
        pytest.fail("rtpengine is not installed (scripts/setup --test installs it)")
    port = free_port()
    log = open(tmp_path / "rtpengine.log", "w")
    proc = subprocess.Popen(["rtpengine", "--interface=127.0.0.1", f"--listen-ng=127.0.0.1:{port}", "--foreground",
                             "--log-stderr", "--table=-1", "--port-min=41000", "--port-max=41999"],
                            stdout=log, stderr=subprocess.STDOUT)
    wait_until(lambda: proc.poll() is not None or f":{port} " in subprocess.run(
        ["ss", "-Huln"], capture_output=True, text=True).stdout, 10, what="rtpengine's ng port")
    assert proc.poll() is None, (tmp_path / "rtpengine.log").read_text()
    yield proc, port
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.mark.parametrize("codec", ["pcmu", "opus"])
def test_the_same_browsers_through_rtpengine(rtpengine, codec):
    proc, port = rtpengine
    # `run` reads a gateway's port (unused through rtpengine) and process (whose CPU is measured).
    fields, text = run(types.SimpleNamespace(port=0, proc=proc), codec, extra=("--rtpengine", f"127.0.0.1:{port}"))
    assert (fields[1], fields[2]) == ("3", "0") and float(fields[11]) < 1.0 and float(fields[12]) > 40, text
    assert "through rtpengine" in text

