"""Two gateway instances behind HAProxy and Kamailio, run from the files in deploy/ (docs/SCALING.md): the
long-poll clients (each from an address of its own) spread over both and stick to theirs by the GWINSTANCE
cookie; a WebSocket client signs in through HAProxy and a call from the other instance reaches it; a call
between users on different instances is two SIP calls through Kamailio, heard both ways; a drained instance gets no new sessions while its call ends normally; a killed instance's users sign in again
through HAProxy, are registered on the other within seconds and reachable, and the other's call goes on."""
import asyncio
import base64
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import types
import urllib.request

import aioice.ice
import pytest

from aiortc_peer import hear, tone_peer
from conftest import Gateway, free_port, wait_until
from hostile import Harness
from long_poll import LongPoll, answer_offer, offer_and_answer
from sip_peers import DOMAIN, kamailio_workdir, run_kamailio

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
DEPLOY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy")
USERS = {str(u): f"pw-{u}" for u in range(1001, 1009)}


class Pool:
    """Kamailio, two gateways (fixed ports: a restarted instance is the same server to HAProxy and Kamailio)
    and HAProxy, all on loopback."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.sip_server = free_port()
        self.http = {"gw1": free_port(), "gw2": free_port()}
        self.sip = {"gw1": free_port(), "gw2": free_port()}
        self.gateways = {}
        self.started = []

    def kamailio(self):
        work, db_url = kamailio_workdir(USERS)
        pool = os.path.join(work, "dispatcher.list")
        with open(pool, "w") as f:
            f.writelines(f"1 sip:127.0.0.1:{port}\n" for port in self.sip.values())
        with open(os.path.join(DEPLOY, "kamailio.cfg")) as f:
            cfg = f.read()
        for name, value in (("GW_DOMAIN", DOMAIN), ("GW_DB_URL", db_url), ("GW_POOL", pool)):
            cfg, n = re.subn(rf'#!substdef "!{name}![^!]*!"', f'#!substdef "!{name}!{value}!"', cfg)
            assert n == 1, name
        return run_kamailio(work, cfg, ["-l", f"udp:127.0.0.1:{self.sip_server}"], self.sip_server)

    def start(self, name):
        g = Gateway(tempfile.mkdtemp(dir=self.workdir), "--http", f"127.0.0.1:{self.http[name]}",
                    "--sip-listen", f"127.0.0.1:{self.sip[name]}", "--sip-server", f"127.0.0.1:{self.sip_server}",
                    "--sip-domain", DOMAIN, "--instance-id", name, "--trusted-proxy", "127.0.0.1",
                    "--max-sessions-per-source", "1", "--drain-timeout", "30")
        self.gateways[name] = g
        self.started.append(g)
        wait_until(lambda: ready(g), 15, what=f"{name} ready")
        return g

    def haproxy(self):
        if not shutil.which("haproxy"):
            pytest.fail("haproxy is not installed (scripts/setup --test installs it)")
        work = tempfile.mkdtemp(dir=self.workdir)
        self.port, self.stats = free_port(), os.path.join(work, "stats.sock")
        with open(os.path.join(DEPLOY, "haproxy.cfg")) as f:
            cfg = f.read()
        # Fewer connections than in production: this machine's open-file limit is lower than a proxy host's.
        cfg = cfg.replace("    maxconn 50000\n", f"    maxconn 4000\n    stats socket {self.stats} level admin\n")
        cfg, n = re.subn(r"bind 0\.0\.0\.0:443 ssl crt \S+", f"bind 127.0.0.1:{self.port}", cfg)
        assert n == 1
        for name, port in self.http.items():
            cfg, n = re.subn(rf"server {name} \S+ ", f"server {name} 127.0.0.1:{port} ", cfg)
            assert n == 1, name
        path = os.path.join(work, "haproxy.cfg")
        with open(path, "w") as f:
            f.write(cfg)
        log = open(os.path.join(work, "haproxy.log"), "w")
        proc = subprocess.Popen(["haproxy", "-db", "-f", path], stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.server_states() == {"gw1": "UP", "gw2": "UP"} or proc.poll() is not None, 15,
                   what="haproxy with both gateways up")
        assert proc.poll() is None, open(log.name).read()
        return proc

    def server_states(self):
        """HAProxy's view of each gateway (UP, DOWN, ...), from its stats socket."""
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(self.stats)
                s.sendall(b"show stat\n")
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
        except OSError:
            return {}
        rows = [line.split(",") for line in data.decode().splitlines() if line.startswith("gateways,")]
        return {row[1]: row[17].split(" ")[0] for row in rows if row[1] in self.http}

    def instance_of(self, user):
        """The instance that has `user` registered (its session lives there)."""
        found = [name for name, g in self.gateways.items() if g.proc.poll() is None
                 and g.sip_status()["registrations"].get(user, "").startswith("registered")]
        return found[0] if len(found) == 1 else None


def ready(g):
    try:
        with urllib.request.urlopen(g.url + "/readyz", timeout=5) as r:
            return r.status == 200
    except OSError:      # urllib's HTTPError (503 while not ready) is one
        return False


class Client:
    """A long-poll client through HAProxy, from an address of its own, with a peer connection playing `hz`."""

    def __init__(self, pool, user, hz):
        self.user, self.hz = user, hz
        self.lp = LongPoll(types.SimpleNamespace(port=pool.port), source=f"127.0.0.{10 + int(user) - 1000}")
        self.pc, self.received, self.rate = tone_peer(hz)

    def sign_in(self):
        self.lp.sign_in(self.user, USERS[self.user])

    async def renew_peer(self):
        await self.pc.close()
        self.pc, self.received, self.rate = tone_peer(self.hz)


class WebSocketClient:
    """Our JSON protocol over a WebSocket through HAProxy, by hand (frames as RFC 6455 has them), from `source`."""

    def __init__(self, pool, source):
        self.s = socket.create_connection(("127.0.0.1", pool.port), timeout=10, source_address=(source, 0))
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{pool.port}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.s.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def send(self, message):
        self.s.sendall(Harness.frame(json.dumps(message).encode()))

    def exactly(self, n):
        data = b""
        while len(data) < n:
            chunk = self.s.recv(n - len(data))
            assert chunk, "the WebSocket closed"
            data += chunk
        return data

    def receive(self):
        """The next text message, as JSON (the server's frames are not masked)."""
        while True:
            op, length = self.exactly(2)
            length &= 0x7F
            if length == 126:
                length = struct.unpack(">H", self.exactly(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self.exactly(8))[0]
            payload = self.exactly(length)
            if op & 0x0F == 1:
                return json.loads(payload)

    def close(self):
        self.s.close()


async def run(f, *args):
    return await asyncio.get_running_loop().run_in_executor(None, f, *args)


async def call(caller, callee):
    """`caller` calls `callee` (Genesys words: its OFFER; the callee gets ours as SDP OFFER and answers)."""
    async def accept():
        peer, word, offer, _ = await run(callee.lp.wait)
        assert (peer, word, offer["messageType"]) == (caller.user, "SDP", "OFFER"), (peer, word, offer)
        await answer_offer(callee.lp, callee.pc, caller.user, offer)
    await asyncio.gather(offer_and_answer(caller.lp, caller.pc, callee.user), accept())
    await hear(callee.received, callee.rate, caller.hz, seconds=15)   # the suite's other namespace runs beside it
    await hear(caller.received, caller.rate, callee.hz)


async def hang_up(caller, callee):
    await run(caller.lp.send, callee.user, "BYE")
    assert (await run(callee.lp.wait))[:2] == (caller.user, "BYE")
    await caller.renew_peer()
    await callee.renew_peer()


async def scenario(pool):
    loop = asyncio.get_running_loop()
    clients = {u: Client(pool, u, 300 + 50 * i) for i, u in enumerate(USERS)}

    # Spread: HAProxy balances the sign-ins over both; each instance registers its users with Kamailio. Each
    # client is its own source (X-Forwarded-For from a trusted proxy): one session per source is allowed, and
    # four sessions on two instances all pass; a second sign-in from the same client (same cookie, so the same
    # instance) is refused for its source.
    for u in ("1001", "1002", "1003", "1004"):
        await run(clients[u].sign_in)
    where = {u: await run(wait_until, lambda u=u: pool.instance_of(u), 10, 0.1, f"{u} registered") for u in clients
             if u <= "1004"}
    assert sorted(where.values()) == ["gw1", "gw1", "gw2", "gw2"], where
    again = LongPoll(types.SimpleNamespace(port=pool.port), source=clients["1001"].lp.source)
    again.cookie = clients["1001"].lp.cookie
    status, _, body = await run(again.request, "POST", "/sign_in", f"1001:{USERS['1001']}")
    assert status != 200 and "too-many-sessions" in body, (status, body)

    on = {name: sorted(u for u, n in where.items() if n == name) for name in ("gw1", "gw2")}
    a, a2 = (clients[u] for u in on["gw1"])
    b, b2 = (clients[u] for u in on["gw2"])

    # The WebSocket through HAProxy: a user signs in on it (our JSON protocol), is registered on the instance
    # the connection went to, and a call from the other instance reaches it there; it declines (603). Its
    # connection closing signs it out (its binding goes).
    ws = await run(WebSocketClient, pool, "127.0.0.18")
    await run(ws.send, {"type": "sign-in", "user": "1008", "password": USERS["1008"]})
    assert (await run(ws.receive))["type"] == "signed-in"
    ws_on = await run(wait_until, lambda: pool.instance_of("1008"), 10, 0.1, "1008 registered")
    caller = a if ws_on == "gw2" else b
    await caller.pc.setLocalDescription(await caller.pc.createOffer())
    offer = {"messageType": "OFFER", "sdp": caller.pc.localDescription.sdp, "Candidates": []}
    await run(caller.lp.send, "1008", "RSMP " + json.dumps(offer))
    incoming = await run(ws.receive)
    assert (incoming["type"], incoming["from"]) == ("incoming", caller.user), incoming
    await run(ws.send, {"type": "reject", "call": incoming["call"]})
    peer, word, body, _ = await run(caller.lp.wait)     # the 603 back through Kamailio, as ROAP ERROR
    assert (peer, word, body["messageType"], body["code"]) == ("1008", "RSMP", "ERROR", 603), (peer, word, body)
    assert (await run(caller.lp.wait))[:2] == ("1008", "BYE")   # then the end, as after any failed call
    await caller.renew_peer()
    ws.close()
    await run(wait_until, lambda: pool.instance_of("1008") is None, 10, 0.1, "1008's binding to go")

    # A call across instances: gw1's INVITE goes through Kamailio to gw2, which registered the callee.
    await call(a, b)

    # Drain gw2 with the call up: HAProxy takes it out (its /readyz says 503) and new sessions go to gw1 only,
    # while the call goes on, is heard, and ends normally (its BYE reaches gw2: the cookie keeps it there).
    pool.gateways["gw2"].proc.send_signal(signal.SIGTERM)
    drain_at = time.monotonic()
    await run(wait_until, lambda: pool.server_states().get("gw2") == "DOWN", 10, 0.1, "HAProxy to take gw2 out")
    print(f"scale-out: HAProxy took the draining instance out after {time.monotonic() - drain_at:.1f} s")
    for u in ("1005", "1006"):
        await run(clients[u].sign_in)
        assert await run(wait_until, lambda u=u: pool.instance_of(u), 10, 0.1, f"{u} registered") == "gw1"
    await hear(a.received, a.rate, b.hz)
    await hang_up(a, b)
    drained = pool.gateways["gw2"]
    assert await run(drained.proc.wait, 30) == 0, drained.logs()[-3000:]

    # gw2 comes back; the users it had sign in again through HAProxy (their next poll finds no session).
    pool.start("gw2")
    await run(wait_until, lambda: pool.server_states().get("gw2") == "UP", 10, 0.1, "HAProxy to take gw2 back")
    for c in (b, b2):
        status, _, _ = await run(c.lp.request, "GET", f"/wait?id={c.lp.id}")
        assert status == 404
        await run(c.sign_in)
        await run(wait_until, lambda c=c: pool.instance_of(c.user), 10, 0.1, f"{c.user} registered")

    # A call within one instance (still through Kamailio), then one instance is killed outright.
    on_gw1 = sorted(u for u in clients if pool.instance_of(u) == "gw1")
    on_gw2 = sorted(u for u in clients if pool.instance_of(u) == "gw2")
    assert on_gw2, "no user went to the restarted instance"
    keep_caller, keep_callee = clients[on_gw1[0]], clients[on_gw1[1]]
    await call(keep_caller, keep_callee)
    pool.gateways["gw2"].proc.kill()
    killed_at = time.monotonic()
    for u in on_gw2:
        c = clients[u]
        status, _, _ = await run(c.lp.request, "GET", f"/wait?id={c.lp.id}")   # HAProxy sends it on to gw1
        assert status == 404
        await run(c.sign_in)
        assert await run(wait_until, lambda u=u: pool.instance_of(u), 10, 0.1, f"{u} registered again") == "gw1"
    moved_in = time.monotonic() - killed_at
    print(f"scale-out: the killed instance's {len(on_gw2)} users registered on the other {moved_in:.1f} s after the kill")
    assert moved_in < 10
    # Reachable on gw1: a call to the first of them rings there (Kamailio has only its new binding).
    moved = clients[on_gw2[0]]
    caller = next(clients[u] for u in on_gw1[2:] if u != moved.user)
    await call(caller, moved)
    await hang_up(caller, moved)
    # The call on gw1 never noticed: still heard both ways, and nobody sent it a word.
    await hear(keep_callee.received, keep_callee.rate, keep_caller.hz)
    await hear(keep_caller.received, keep_caller.rate, keep_callee.hz)
    await hang_up(keep_caller, keep_callee)
    for c in clients.values():
        await c.pc.close()


@pytest.mark.timeout(180)
def test_two_instances_behind_haproxy_and_kamailio(workdir):
    pool = Pool(workdir)
    kamailio = pool.kamailio()
    next(kamailio)
    haproxy = None
    try:
        pool.start("gw1")
        pool.start("gw2")
        haproxy = pool.haproxy()
        asyncio.run(scenario(pool))
    finally:
        if haproxy:
            haproxy.terminate()
            haproxy.wait(5)
        for g in pool.started:
            g.stop()
        next(kamailio, None)      # stops it
