"""The gateway behind a NAT: in a network namespace of its own (10.77.0.2) behind a router namespace that
maps the public 203.0.113.1 to it (iptables DNAT and SNAT), with the clients on the public side, which has
no route to the private network. With --media-advertise the browser leg's answer and ICE candidate carry
the public address and a call to `echo` carries audio both ways (the client hears its own tone); without
it, the private address is advertised and no audio arrives (the control). With --sip-advertise the
REGISTER's Contact and Via carry the public address, and a request sent there from the public side reaches
the gateway through the NAT; bound to 0.0.0.0 without it, they carry the machine's own address, never
0.0.0.0."""
import asyncio
import itertools
import os
import re
import signal
import socket
import subprocess
import urllib.request

import aioice.ice
import pytest

import echo_call
from conftest import BINARY, wait_until

PUBLIC, CLIENT, PRIVATE, ROUTER_PRIVATE = "203.0.113.1", "203.0.113.2", "10.77.0.2", "10.77.0.1"
_namespaces = itertools.count()


def sh(*args):
    subprocess.run(args, check=True, capture_output=True, timeout=30)


@pytest.fixture
def nat():
    """The router and the gateway's namespaces; yields the gateway's namespace name."""
    n = next(_namespaces)
    router, private = f"gwr{os.getpid()}-{n}", f"gwg{os.getpid()}-{n}"
    sh("ip", "netns", "add", router)
    sh("ip", "netns", "add", private)
    try:
        sh("ip", "link", "add", "natpub0", "type", "veth", "peer", "name", "natpub1")
        sh("ip", "link", "set", "natpub1", "netns", router)
        sh("ip", "addr", "add", f"{CLIENT}/24", "dev", "natpub0")
        sh("ip", "link", "set", "natpub0", "up")
        sh("ip", "-n", router, "link", "add", "natpriv0", "type", "veth", "peer", "name", "natpriv1")
        sh("ip", "-n", router, "link", "set", "natpriv1", "netns", private)
        for ns, dev, addr in [(router, "natpub1", f"{PUBLIC}/24"), (router, "natpriv0", f"{ROUTER_PRIVATE}/24"),
                              (private, "natpriv1", f"{PRIVATE}/24")]:
            sh("ip", "-n", ns, "addr", "add", addr, "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", private, "route", "add", "default", "via", ROUTER_PRIVATE)
        sh("ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        sh("ip", "netns", "exec", router, "iptables", "-t", "nat", "-A", "PREROUTING", "-d", PUBLIC, "-j", "DNAT",
           "--to-destination", PRIVATE)
        sh("ip", "netns", "exec", router, "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", PRIVATE, "-o", "natpub1",
           "-j", "SNAT", "--to-source", PUBLIC)
        yield private
    finally:
        subprocess.run(["ip", "link", "del", "natpub0"], capture_output=True)
        subprocess.run(["ip", "netns", "del", router], capture_output=True)
        subprocess.run(["ip", "netns", "del", private], capture_output=True)


class NattedGateway:
    """The gateway in the private namespace; the clients reach it at the public address."""

    def __init__(self, namespace, tmp_path, *extra):
        self.host, self.port = PUBLIC, 8080
        self.log_path = tmp_path / "gateway.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(["ip", "netns", "exec", namespace, BINARY, "--http", f"{PRIVATE}:8080",
                                      "--media-ip", PRIVATE, "--rtp-ports", "31000-31099", "--sip-probe", "0", *extra],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: "listening on" in self.logs() or self.proc.poll() is not None, 30, what="the gateway's banner")
        assert self.proc.poll() is None, self.logs()
        wait_until(self.answers, 15, what="the gateway to answer through the NAT")

    def answers(self):
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    @property
    def url(self):
        return f"http://{PUBLIC}:8080"

    def logs(self):
        self.log.flush()
        return self.log_path.read_text()

    def stop(self):
        for _ in range(2):
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(3)
                except subprocess.TimeoutExpired:
                    pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.log.close()


async def call_echo(gw):
    call = echo_call.EchoCall(gw, "1003")
    await call.start()
    answer = call.pc.remoteDescription.sdp
    heard = await call.hears_its_tone()
    await call.hang_up()
    return answer, heard


@pytest.mark.parametrize("advertise", [True, False])
def test_a_browser_across_the_nat_hears_its_echo_only_with_the_public_address(nat, tmp_path, advertise, monkeypatch):
    # Only for this test: the address goes with the namespace, and a later test's peers would gather on it.
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: [CLIENT])
    gw = NattedGateway(nat, tmp_path, "--sip-listen", "127.0.0.1:5060",
                       *(["--media-advertise", PUBLIC] if advertise else []))
    try:
        answer, (heard, figures) = asyncio.run(call_echo(gw))
    finally:
        gw.stop()
    connection = re.findall(r"c=IN IP4 (\S+)", answer)
    candidates = re.findall(r"a=candidate:\S+ \d+ udp \d+ (\S+) ", answer, re.I)
    if advertise:
        assert set(connection) == {PUBLIC} and set(candidates) == {PUBLIC}, answer
        assert heard, figures
    else:
        assert set(candidates) == {PRIVATE}, answer
        assert not heard, ("audio across the NAT with the private address advertised", figures)


def registered_contact(gw_args, nat, tmp_path):
    """The REGISTER the gateway sends to a registrar on the public side (answered 200), and whether an
    OPTIONS sent from the public side to its Contact comes back answered through the NAT."""
    registrar = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    registrar.bind((CLIENT, 0))
    registrar.settimeout(15)
    gw = NattedGateway(nat, tmp_path, "--sip-server", f"{CLIENT}:{registrar.getsockname()[1]}", "--sip-domain",
                       "example.com", "--register", "1001:x", *gw_args)
    try:
        data, source = registrar.recvfrom(65536)
        register = data.decode()
        assert register.startswith("REGISTER "), register
        headers = dict(re.findall(r"^([A-Za-z-]+): (.*?)\r$", register, re.M))
        ok = re.sub(r"^REGISTER .*?\r\n", "SIP/2.0 200 OK\r\n", register, count=1)
        ok = ok.replace("\r\nContent-Length: 0", f"\r\nContact: {headers['Contact']};expires=600\r\nContent-Length: 0")
        registrar.sendto(ok.encode(), source)
        host, port = re.search(r"sip:1001@([^:;>]+):(\d+)", headers["Contact"]).groups()
        options = (f"OPTIONS sip:1001@{host}:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {CLIENT}:{registrar.getsockname()[1]};"
                   f"branch=z9hG4bK-nat-1\r\nMax-Forwards: 70\r\nFrom: <sip:probe@example.com>;tag=p1\r\n"
                   f"To: <sip:1001@example.com>\r\nCall-ID: nat-probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        reached = False
        if host == PUBLIC:
            registrar.sendto(options.encode(), (host, int(port)))
            try:
                while not reached:
                    reply, _ = registrar.recvfrom(65536)
                    reached = reply.startswith(b"SIP/2.0 200") and b"nat-probe" in reply
            except socket.timeout:
                pass
        return headers, reached
    finally:
        gw.stop()
        registrar.close()


def test_sip_contact_and_via_carry_the_advertised_address_and_reach_the_gateway_through_the_nat(nat, tmp_path):
    headers, reached = registered_contact(["--sip-listen", "0.0.0.0:5070", "--sip-advertise", PUBLIC], nat, tmp_path)
    assert f"@{PUBLIC}:5070" in headers["Contact"] and f"SIP/2.0/UDP {PUBLIC}:5070" in headers["Via"], headers
    assert reached, "an OPTIONS to the advertised Contact did not reach the gateway through the NAT"


def test_bound_to_0_0_0_0_without_an_address_to_advertise_contact_carries_the_machines_own(nat, tmp_path):
    headers, _ = registered_contact(["--sip-listen", "0.0.0.0:5070"], nat, tmp_path)
    assert "0.0.0.0" not in headers["Contact"] + headers["Via"], headers
    assert f"@{PRIVATE}:5070" in headers["Contact"], headers
