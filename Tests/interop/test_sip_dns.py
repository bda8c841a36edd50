"""The SIP server by DNS name (RFC 3263), against dnsmasq as the DNS server and kamailio as the SIP server: the
name's SRV records give two targets, the preferred one dead. The gateway's REGISTER to the dead one times out,
goes at once in a new transaction to the live one, and registers there (a call to the user through kamailio
reaches the gateway); later requests go straight to the live one; the name is looked up again when the TTL runs
out. The gateway runs with its own resolv.conf (a mount namespace the test makes), pointing at the dnsmasq of
the test's network namespace."""
import re
import signal
import subprocess

import pytest

from conftest import wait_until
from long_poll import LongPoll
from sip_peers import DOMAIN, USERS, start_kamailio
from test_drain import call_through, probe

TTL = 6


@pytest.fixture
def kamailio():
    for port, _ in start_kamailio():
        yield port


@pytest.fixture
def dns(tmp_path, kamailio):
    """dnsmasq on 127.0.0.1:53 answering for pbx.test: SRV dead.pbx.test (priority 10, nothing listens there)
    and live.pbx.test (priority 20, kamailio); yields (its query log's path, a resolv.conf naming it)."""
    log, pid = tmp_path / "dnsmasq.log", tmp_path / "dnsmasq.pid"
    proc = subprocess.Popen(
        ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces",
         "--port=53", f"--local-ttl={TTL}", "--user=root", "--log-queries", f"--log-facility={log}", f"--pid-file={pid}",
         "--srv-host=_sip._udp.pbx.test,dead.pbx.test,5060,10,0",
         f"--srv-host=_sip._udp.pbx.test,live.pbx.test,{kamailio},20,0",
         "--host-record=dead.pbx.test,127.0.0.2", "--host-record=live.pbx.test,127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    wait_until(lambda: proc.poll() is not None or (log.exists() and "started" in log.read_text()), 10, what="dnsmasq")
    assert proc.poll() is None, log.read_text() if log.exists() else "dnsmasq exited"
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    yield log, resolv
    proc.send_signal(signal.SIGTERM)
    proc.wait(5)


def own_resolv_conf(resolv):
    """Runs the gateway in a mount namespace of its own where /etc/resolv.conf is `resolv`."""
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
            'mount --bind "$0" /etc/resolv.conf && exec "$@"', str(resolv)]


def srv_queries(log):
    return len(re.findall(r"query\[SRV\] _sip\._udp\.pbx\.test", log.read_text()))


def test_the_gateway_finds_the_sip_server_by_srv_and_fails_over_from_a_dead_target(dns, kamailio, start_gateway, tmp_path):
    log, resolv = dns
    gw = start_gateway("--sip-server", "pbx.test", "--sip-domain", DOMAIN, "--register", f"1001:{USERS['1001']}",
                       "--sip-probe", "0", wrapper=own_resolv_conf(resolv))
    wait_until(lambda: "targets udp:127.0.0.2:5060, udp:127.0.0.1:" in gw.logs(), 10, what="the SRV targets, in priority order")
    assert srv_queries(log) == 1 and "query[A] dead.pbx.test" in log.read_text() and "query[A] live.pbx.test" in log.read_text()
    # Not registered yet: the REGISTER went to the dead target (a negative control of the failover below).
    assert probe(gw, "/readyz")[0] == 503
    # Timer F (32 s) ends the REGISTER at the dead target; the same request goes to the live one at once.
    wait_until(lambda: probe(gw, "/readyz")[0] == 200, 45, interval=0.5, what="1001 registered at the live target")
    logs = gw.logs()
    assert re.search(r"target udp:127\.0\.0\.2:5060 failed \(no answer\), next udp:127\.0\.0\.1:\d+", logs), logs[-3000:]
    assert call_through(kamailio, "1001", 480, tmp_path)       # kamailio has 1001's binding: it reaches the gateway
    # Looked up again when the TTL runs out, the targets kept.
    wait_until(lambda: srv_queries(log) >= 3, 4 * TTL, interval=0.5, what="the name looked up again after its TTL")
    # A browser user's REGISTER goes straight to the live target (the dead one passed over): signed in at once.
    LongPoll(gw).sign_in("1002", USERS["1002"])            # asserts a 200: registered
    assert gw.logs().count("failed (no answer)") == 1
