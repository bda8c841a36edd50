"""Calls the gateway places (UAC) to sipp acting as the far end (UAS): answered
and hung up by the gateway (BYE) over UDP and TCP, challenged with digest and
hung up by the far end, busy, cancelled while ringing (also after an INVITE
too large for UDP), and held by re-INVITE retried after a 491."""
import contextlib
import json
import os
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import free_port, wait_until

SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipp")


@contextlib.contextmanager
def sipp_uas(*scenario, transport="u1"):
    """A sipp UAS for one call on a free port; yields (port, process) and must exit 0."""
    port = free_port()
    proc = subprocess.Popen(["sipp", *scenario, "-t", transport, "-i", "127.0.0.1", "-p", str(port), "-m", "1", "-nostdin",
                             "-timeout", "30s", "-timeout_error", "-mi", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if transport == "t1":  # TCP has no retransmission to cover sipp's start-up
        wait_until(lambda: listening(port), 10, what="sipp's TCP port")
    try:
        yield port, proc
        assert proc.wait(15) == 0, proc.stderr.read()  # sipp's scenario, and its checks, passed
    finally:
        if proc.poll() is None:
            proc.kill()


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def scenario(name):
    return ("-sf", os.path.join(SCENARIOS, name))


def post(gw, path, **query):
    req = urllib.request.Request(f"{gw.url}{path}?{urllib.parse.urlencode(query)}", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.read().decode()


def state(gw, call_id):
    with urllib.request.urlopen(f"{gw.url}/test/calls", timeout=5) as r:
        return json.loads(r.read()).get(call_id, "")


@pytest.fixture
def uas_gateway(start_gateway):
    return start_gateway("--sip-domain", "example.com", "--register", "1001:secret")


def call(gw, port, transport="udp"):
    return post(gw, "/test/call", user="1001", to=f"sip:2000@127.0.0.1:{port};transport={transport}")


@pytest.mark.parametrize("transport,sipp_transport", [("udp", "u1"), ("tcp", "t1")])
def test_answered_then_hung_up_by_the_gateway(uas_gateway, transport, sipp_transport):
    with sipp_uas("-sn", "uas", transport=sipp_transport) as (port, _):
        cid = call(uas_gateway, port, transport)
        wait_until(lambda: state(uas_gateway, cid) == "confirmed", 10, what="the answer")
        assert post(uas_gateway, "/test/hangup", id=cid).strip() == "ok"
    assert "ended" in state(uas_gateway, cid)  # and sipp's uas got the BYE and answered it


def test_challenged_answered_and_hung_up_by_the_far_end(uas_gateway):
    with sipp_uas(*scenario("uas_auth_bye.xml")) as (port, _):  # its verifyauth checks our INVITE digest
        cid = call(uas_gateway, port)
        final = wait_until(lambda: "far end hung up" in (s := state(uas_gateway, cid)) and s, 15,
                           what="the far end's BYE")
        assert "200" in final


def test_busy(uas_gateway):
    with sipp_uas(*scenario("uas_busy.xml")) as (port, _):  # it also waits for our ACK
        cid = call(uas_gateway, port)
        final = wait_until(lambda: "ended" in (s := state(uas_gateway, cid)) and s, 10, what="the 486")
        assert "486" in final


def test_cancel_while_ringing(uas_gateway):
    with sipp_uas(*scenario("uas_ring_cancel.xml")) as (port, _):
        cid = call(uas_gateway, port)
        wait_until(lambda: "early" in state(uas_gateway, cid), 10, what="ringing")
        assert post(uas_gateway, "/test/hangup", id=cid).strip() == "ok"
        final = wait_until(lambda: "ended" in (s := state(uas_gateway, cid)) and s, 10, what="the 487")
        assert "487" in final


def test_a_two_hundred_that_crosses_our_cancel_is_acknowledged_and_hung_up(uas_gateway):
    """The far end answers after our CANCEL left (RFC 3261 §9.1): the 200 is ACKed and the call ended
    with a BYE, not left up at the far end (sipp's scenario fails without the BYE)."""
    with sipp_uas(*scenario("uas_answer_crossing_cancel.xml")) as (port, _):
        cid = call(uas_gateway, port)
        wait_until(lambda: "early" in state(uas_gateway, cid), 10, what="ringing")
        assert post(uas_gateway, "/test/hangup", id=cid).strip() == "ok"
        final = wait_until(lambda: "ended" in (s := state(uas_gateway, cid)) and s, 10, what="the call's end")
        assert "200" in final, final       # ended by our BYE, not by a 487
        # leaving the block waits for sipp: its scenario ends only with the gateway's BYE


@pytest.mark.parametrize("sipp_transport", ["t1", "u1"], ids=["tcp", "udp-only"])
def test_a_large_invite_goes_over_tcp_and_so_does_its_cancel(uas_gateway, sipp_transport, tmp_path):
    """An INVITE too large for UDP (RFC 3261 §18.1.1) to a UDP address goes over TCP to it, and its CANCEL
    follows it there with the same Via (§9.1). When nothing takes the TCP connection (a UDP-only phone), both
    go over UDP instead (§18.1.1). (Here the CANCEL is large too: that a small CANCEL follows its large
    INVITE is OutgoingCallTests.largeRequestsGoOverTCP.)"""
    trace = str(tmp_path / "messages")
    with sipp_uas(*scenario("uas_ring_cancel.xml"), "-trace_msg", "-message_file", trace,
                  transport=sipp_transport) as (port, _):
        long_number = "2000" + "0" * 700          # in the Request-URI and the To: over 1,300 bytes
        cid = post(uas_gateway, "/test/call", user="1001", to=f"sip:{long_number}@127.0.0.1:{port}")
        wait_until(lambda: "early" in state(uas_gateway, cid), 10, what="ringing")
        assert post(uas_gateway, "/test/hangup", id=cid).strip() == "ok"
        final = wait_until(lambda: "ended" in (s := state(uas_gateway, cid)) and s, 10, what="the 487")
        assert "487" in final
    with open(trace) as f:
        received = [m for m in f.read().split("----------------------------------------------- ") if "received" in m]
    name = {"t1": "TCP", "u1": "UDP"}[sipp_transport]
    for method in ("INVITE", "CANCEL"):
        message = next(m for m in received if f"\n{method} " in m)
        assert message.split("\n", 2)[1].startswith(f"{name} message received"), message
        assert f"Via: SIP/2.0/{name} " in message, message


def test_a_call_over_tcp_to_nobody_fails_at_once(uas_gateway):
    """A connection that cannot be opened is a 503 for the call at once (§8.1.3.1), not a timeout 32 s later."""
    cid = call(uas_gateway, free_port(), transport="tcp")
    final = wait_until(lambda: "ended" in (s := state(uas_gateway, cid)) and s, 5, what="the call's end")
    assert "503" in final, final


def test_hold_by_reinvite_retried_after_491(uas_gateway):
    with sipp_uas(*scenario("uas_hold_glare.xml")) as (port, _):  # it checks both offers say sendonly
        cid = call(uas_gateway, port)
        wait_until(lambda: state(uas_gateway, cid) == "confirmed", 10, what="the answer")
        assert post(uas_gateway, "/test/hold", id=cid).strip() == "ok"
        wait_until(lambda: "reinvite 200" in state(uas_gateway, cid), 10, what="the retried re-INVITE's 200")
        assert post(uas_gateway, "/test/hangup", id=cid).strip() == "ok"


def test_a_challenged_bye_is_sent_again_with_credentials(uas_gateway):
    with sipp_uas(*scenario("uas_challenge_bye.xml")) as (port, _):  # verifyauth checks the second BYE
        cid = call(uas_gateway, port)
        wait_until(lambda: state(uas_gateway, cid) == "confirmed", 10, what="the answer")
        assert post(uas_gateway, "/test/hangup", id=cid).strip() == "ok"
