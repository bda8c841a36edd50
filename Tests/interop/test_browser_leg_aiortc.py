"""The browser leg against aiortc (a second, independent WebRTC stack), in
both DTLS roles, and the ways a call leg must fail cleanly."""
import json
import os
import signal
import subprocess
import sys

import pytest

from conftest import wait_until

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aiortc_peer.py")


def run_peer(gateway, *flags, seconds=4):
    out = subprocess.run([sys.executable, PEER, "--gateway", gateway.url, "--seconds", str(seconds), *flags],
                         capture_output=True, text=True, timeout=60)
    lines = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    assert lines, f"aiortc peer printed nothing: {out.stderr[-2000:]}"
    return lines[-1]


@pytest.mark.parametrize("setup,aiortc_role", [("passive", "client"), ("active", "server")])
def test_aiortc_hears_its_own_tone_in_both_dtls_roles(gateway, setup, aiortc_role):
    result = run_peer(gateway, "--setup", setup)
    assert result["state"] == "connected", result
    assert result["dtlsRole"] == aiortc_role
    assert abs(result["heardHz"] - 1000) < 20 and result["levelDb"] > -30, result
    assert gateway.session(result["id"])["srtpProfile"] in (1, 2, 7)


def test_silent_far_end_is_told_apart(gateway):
    result = run_peer(gateway, "--mode", "silent")
    assert result["state"] == "connected"
    assert result.get("levelDb", -200) < -50, result


def test_fingerprint_mismatch_fails_the_call_with_a_reason(gateway):
    result = run_peer(gateway, "--bad-fingerprint", seconds=3)
    assert result["state"] != "connected" or "heardHz" not in result
    status = wait_until(lambda: (s := gateway.session(result["id"]))["state"] == "failed" and s, 10,
                        what="the gateway to fail the leg")
    assert "fingerprint" in status["reason"], status
    assert "does not match the SDP fingerprint" in gateway.logs()


def test_wrong_ice_password_is_refused_with_a_reason(gateway):
    result = run_peer(gateway, "--bad-ice-password", seconds=3)
    assert result["ice"] != "completed", result
    status = gateway.session(result["id"])
    assert status["state"] == "waiting" and status["packetsFromBrowser"] == 0, status
    assert any("wrong ICE password" in r for r in status["refusals"]), status
    assert "wrong ICE password" in gateway.logs()


def test_a_vanished_peer_is_torn_down_within_30_seconds(gateway):
    peer = subprocess.Popen([sys.executable, PEER, "--gateway", gateway.url, "--hold", "--seconds", "2"],
                            stdout=subprocess.PIPE, text=True)
    try:
        first = json.loads(peer.stdout.readline())
        connected = json.loads(peer.stdout.readline())
        assert connected["state"] == "connected", connected
        peer.send_signal(signal.SIGKILL)  # no DTLS close_notify, no goodbye
        peer.wait(5)
        status = wait_until(lambda: (s := gateway.session(first["id"]))["state"] != "connected" and s, 35,
                            interval=0.5, what="consent to expire")
        assert status["reason"] == "ICE consent expired", status
    finally:
        if peer.poll() is None:
            peer.kill()
