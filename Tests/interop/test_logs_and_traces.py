"""Logs and SIP traces: JSON log lines carry a call's identifiers (call, user, SIP Call-ID) as fields, the
log level filters, --sip-trace logs every SIP message with its direction and addresses, and --hep sends
them as HEP3 to a real HEP consumer (sngrep listening, writing a pcap), which shows the call's messages.
The control: the same call from a gateway without --hep leaves sngrep's capture without them."""
import asyncio
import json
import signal
import subprocess

import pytest

from conftest import free_port, wait_until
from echo_call import EchoCall
from phone import status


async def echo_call(gw):
    call = EchoCall(gw, "1003")
    await call.start()
    heard, figures = await call.hears_its_tone()
    assert heard, figures
    await call.hang_up()
    wait_until(lambda: status(gw)["gateway"]["calls"] == 0, 10, what="the call's end")


def json_lines(gw):
    return [json.loads(line) for line in gw.logs().splitlines() if line.startswith("{")]


def test_json_logs_carry_the_calls_identifiers(start_gateway):
    gw = start_gateway("--log-format", "json")
    asyncio.run(echo_call(gw))
    lines = json_lines(gw)
    assert lines and all({"time", "level", "label", "source", "message"} <= set(line) for line in lines)
    answered = [line for line in lines if "answered" in line["message"] and "call" in line]
    assert answered, [line["message"] for line in lines]
    assert answered[0]["user"] == "1003" and answered[0]["sip_call_id"], answered[0]
    ended = [line for line in lines if line.get("call") == answered[0]["call"] and "ended" in line["message"]]
    assert ended and ended[0]["sip_call_id"] == answered[0]["sip_call_id"], ended


def test_the_log_level_filters(start_gateway):
    gw = start_gateway("--log-format", "json", "--log-level", "warning")
    asyncio.run(echo_call(gw))
    levels = {line["level"] for line in json_lines(gw)}
    assert levels <= {"warning", "error", "critical"}, levels


class Sngrep:
    """sngrep listening for HEP on a UDP port, writing what it gets to a pcap (read once it stopped)."""

    def __init__(self, tmp_path, name):
        self.port = free_port()
        self.pcap = tmp_path / f"{name}.pcap"
        self.proc = subprocess.Popen(["sngrep", "-N", "-q", "-L", f"udp:127.0.0.1:{self.port}", "-O", str(self.pcap)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return self.pcap.read_bytes() if self.pcap.exists() else b""


@pytest.fixture
def sngrep(tmp_path):
    started = []
    yield lambda name: started.append(Sngrep(tmp_path, name)) or started[-1]
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()


def test_hep_reaches_sngrep_with_the_calls_messages(start_gateway, sngrep):
    control = sngrep("control")
    quiet = start_gateway()
    asyncio.run(echo_call(quiet))
    quiet.stop()
    captured = control.stop()
    assert b"INVITE sip:echo@" not in captured     # sngrep saw nothing of a gateway without --hep

    hep = sngrep("hep")
    gw = start_gateway("--hep", f"127.0.0.1:{hep.port}", "--sip-trace")
    asyncio.run(echo_call(gw))
    invite = next(line for line in gw.logs().splitlines() if line.startswith("INVITE sip:echo@"))
    trace = gw.logs().split(invite)[0].splitlines()[-1]
    assert "SIP out UDP 127.0.0.1:" in trace and " -> 127.0.0.1:" in trace, trace   # direction, transport, addresses
    call_id = next(line for line in gw.logs().split(invite)[1].splitlines() if line.startswith("Call-ID:")).split(":", 1)[1].strip()
    gw.stop()
    captured = hep.stop()
    assert invite.encode() in captured and f"Call-ID: {call_id}".encode() in captured, captured[:400]
    assert b"SIP/2.0 200 OK" in captured and b"BYE sip:" in captured and b"REGISTER sip:" in captured
