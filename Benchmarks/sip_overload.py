#!/usr/bin/env python3
"""SIP overload on the embedded server: while CALLS established calls to `echo` carry RTP (50 packets/s
each, counted back), sipp offers new calls to `echo` at each rate given, ten seconds' worth, and an
OPTIONS probe asks every 100 ms. Prints, per offered rate: calls completed per second, calls shed with
503, calls failed otherwise, the gateway's CPU, OPTIONS answered (and their slowest), and the share of
the established calls' RTP echoed back. Prints figures, asserts nothing. Release build; run it in a
private network namespace:

    scripts/netns-run python3 Benchmarks/sip_overload.py [RATE ...]       (default 250 500 1000 2000 3000)
"""
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "interop"))
from sip_probe import code_of, options  # noqa: E402

ESTABLISHED = 10
STATS = "/tmp/sip-overload-stat.csv"


def final_stats():
    """sipp's cumulative counters at the end of its run (its -trace_stat file)."""
    with open(STATS) as f:
        rows = [line.rstrip("\n").split(";") for line in f if line.strip()]
    return {k: int(v) for k, v in zip(rows[0], rows[-1]) if k.endswith("(C)") and v.isdigit()}
BINARY = os.path.join(ROOT, ".build", "release", "webrtc-gateway")


def start_gateway():
    log = open("/tmp/sip-overload-gateway.log", "w")
    proc = subprocess.Popen([BINARY, "--http", "127.0.0.1:0", "--sip-listen", "127.0.0.1:0", "--rtp-ports", "20000-29999"],
                            stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        with open(log.name) as f:
            m = re.search(r"listening on http://[^:]+:(\d+)/ \(SIP on [^:]+:(\d+),", f.read())
        if m:
            return proc, int(m.group(2))
        time.sleep(0.1)
    raise SystemExit("the gateway did not start")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


class EchoCall:
    """One call to `echo` by hand: INVITE with our RTP port, 200, ACK; then RTP both ways, counted."""

    def __init__(self, sip_port, n):
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind(("127.0.0.1", 0))
        self.sip.settimeout(5)
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp.setblocking(False)
        self.sent = self.back = 0
        lport, rport = self.sip.getsockname()[1], self.rtp.getsockname()[1]
        sdp = (f"v=0\r\no=- {n} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {rport} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n")
        head = (f"INVITE sip:echo@127.0.0.1:{sip_port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{lport};branch=z9hG4bKe{n}\r\n"
                f"From: <sip:load@127.0.0.1>;tag=e{n}\r\nTo: <sip:echo@127.0.0.1>\r\nCall-ID: est{n}\r\n"
                f"Contact: <sip:load@127.0.0.1:{lport}>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\n")
        self.sip.sendto((head + f"CSeq: 1 INVITE\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}").encode(), ("127.0.0.1", sip_port))
        while True:
            answer = self.sip.recv(65535)
            if (code_of(answer) or 0) >= 200:
                break
        assert code_of(answer) == 200, answer[:200]
        to = re.search(rb"(?im)^To:\s*(.*?)\r\n", answer).group(1).decode()
        port = int(re.search(rb"m=audio (\d+)", answer).group(1))
        self.far = ("127.0.0.1", port)
        ack = head.replace("INVITE sip:", "ACK sip:", 1).replace(f"branch=z9hG4bKe{n}", f"branch=z9hG4bKa{n}")
        ack = re.sub(r"To: .*?\r\n", f"To: {to}\r\n", ack).replace("Content-Type: application/sdp\r\n", "")
        self.sip.sendto((ack + "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n").encode(), ("127.0.0.1", sip_port))
        self.seq = 0

    def tick(self):
        self.seq += 1
        packet = struct.pack("!BBHII", 0x80, 0, self.seq & 0xFFFF, self.seq * 160, 4242) + b"\xff" * 160
        self.rtp.sendto(packet, self.far)
        self.sent += 1
        try:
            while True:
                self.rtp.recv(2048)
                self.back += 1
        except BlockingIOError:
            pass


def media(calls, stop):
    next_at = time.monotonic()
    while not stop.is_set():
        for c in calls:
            c.tick()
        next_at += 0.02
        time.sleep(max(0, next_at - time.monotonic()))


def probe(sip_port, stop, results):
    n = 0
    while not stop.is_set():
        n += 1
        started = time.monotonic()
        code = options(sip_port, timeout=2, call_id=f"ovl{n}")
        results.append((code, time.monotonic() - started))
        time.sleep(0.1)


def main():
    rates = [int(r) for r in sys.argv[1:]] or [250, 500, 1000, 2000, 3000]
    subprocess.run(["swift", "build", "-c", "release", "--product", "webrtc-gateway"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["ip", "link", "set", "lo", "up"], stderr=subprocess.DEVNULL)
    gateway, sip_port = start_gateway()
    hz = os.sysconf("SC_CLK_TCK")
    try:
        calls = [EchoCall(sip_port, n) for n in range(ESTABLISHED)]
        print(f"{ESTABLISHED} established calls to echo, RTP 50 packets/s each; offered load: sipp -sn uac -s echo, 10 s per rate")
        print(f"{'offered/s':>9} {'completed/s':>11} {'shed 503':>8} {'failed':>6} {'CPU %':>6} "
              f"{'OPTIONS ok':>10} {'slowest':>8} {'RTP echoed':>10}")
        for rate in rates:
            stop = threading.Event()
            probes = []
            for c in calls:
                c.sent = c.back = 0
            threads = [threading.Thread(target=media, args=(calls, stop)), threading.Thread(target=probe, args=(sip_port, stop, probes))]
            for t in threads:
                t.start()
            before, started = cpu_ticks(gateway.pid), time.monotonic()
            subprocess.run(["sipp", f"127.0.0.1:{sip_port}", "-sn", "uac", "-s", "echo", "-r", str(rate),
                                  "-m", str(rate * 10), "-d", "0", "-i", "127.0.0.1", "-nostdin", "-timeout", "40s",
                                  "-trace_stat", "-stf", STATS],
                                 capture_output=True)
            elapsed = time.monotonic() - started
            cpu = (cpu_ticks(gateway.pid) - before) / hz
            stop.set()
            for t in threads:
                t.join()
            totals = final_stats()
            ok = totals.get("SuccessfulCall(C)", 0)
            shed = totals.get("FailedUnexpectedMessage(C)", 0)      # the 503s: sipp's uac expects a 200
            failed = totals.get("FailedCall(C)", 0)
            if os.environ.get("OVERLOAD_DEBUG"):
                print({k: v for k, v in totals.items() if v and ("Failed" in k or "Retrans" in k)})
            answered = [d for c, d in probes if c is not None and c >= 200]
            sent = sum(c.sent for c in calls)
            back = sum(c.back for c in calls)
            print(f"{rate:>9} {ok / elapsed:>11.0f} {shed:>8} {max(0, failed - shed):>6} {100 * cpu / elapsed:>6.0f} "
                  f"{len(answered):>4}/{len(probes):<5} {max(answered or [0]) * 1000:>6.0f}ms "
                  f"{100 * back / max(1, sent):>9.1f}%")
            os.remove(STATS)
            time.sleep(3)      # the last calls' BYEs and transactions settle
    finally:
        gateway.terminate()
        gateway.wait(5)


if __name__ == "__main__":
    main()
