"""Registration with digest authentication against sipp acting as registrar:
sipp checks the gateway's Authorization with its own verifyauth."""
import os
import subprocess

import pytest

from conftest import free_port, wait_until

SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipp")


def sipp_registrar(port, transport="u1"):
    return subprocess.Popen(["sipp", "-sf", os.path.join(SCENARIOS, "uas_register_digest.xml"), "-i", "127.0.0.1",
                             "-p", str(port), "-m", "1", "-nostdin", "-timeout", "20s", "-t", transport],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_registers_with_digest_authentication(start_gateway, transport):
    port = free_port()
    sipp = sipp_registrar(port, "u1" if transport == "udp" else "t1")
    try:
        gw = start_gateway("--sip-probe", "0", "--sip-server", f"{transport}:127.0.0.1:{port}", "--sip-domain", "example.com",
                           "--register", "1001:secret")
        state = wait_until(lambda: gw.sip_status()["registrations"].get("1001", "").startswith(("registered", "failed"))
                           and gw.sip_status()["registrations"]["1001"], 15, what="registration")
        assert state == "registered 600", state
        assert sipp.wait(10) == 0  # sipp's scenario passed: its verifyauth accepted our digest
    finally:
        if sipp.poll() is None:
            sipp.kill()


def test_a_wrong_password_fails_cleanly(start_gateway):
    port = free_port()
    sipp = sipp_registrar(port)
    try:
        gw = start_gateway("--sip-probe", "0", "--sip-server", f"127.0.0.1:{port}", "--sip-domain", "example.com", "--register", "1001:wrong")
        state = wait_until(lambda: gw.sip_status()["registrations"].get("1001", "").startswith("failed")
                           and gw.sip_status()["registrations"]["1001"], 15, what="the registration to fail")
        assert state == "failed 403 Forbidden", state
        assert "registration of 1001: failed 403" in gw.logs()
    finally:
        if sipp.poll() is None:
            sipp.kill()
