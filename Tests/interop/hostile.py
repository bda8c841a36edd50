"""A hostile-input harness: structure-aware inputs on every surface a stranger reaches.

Each input is a valid message of one surface (HTTP, WebSocket frames and JSON, long-poll, SIP over
UDP and TCP, SDP inside SIP and inside signaling) with one part replaced by an edge value. After
every input the harness checks that the gateway is alive: the process runs, /status answers and a
SIP OPTIONS gets a final response. Deterministic for a seed; bounded by time.

    python3 Tests/interop/hostile.py --seconds 600 [--seed N]      (inside scripts/netns-run)
"""
import argparse
import base64
import http.client
import json
import os
import random
import socket
import struct
import time

from sip_probe import code_of, options

EDGE_STRINGS = [
    "", " ", "0", "-1", "+1", "00000000000000000000000001", "4294967295", "4294967296", "9223372036854775808",
    "18446744073709551616", "100000000000000", "1e309", "NaN", "-0", "0x10", "=", "==", ";", ";;", ":", "::", "/",
    "//", "?", "&", "%", "%zz", "%00", "[", "]", "[::1", "<", ">", "<>", "\"", "\"unterminated", "\\", ",", ",,",
    "@", "@@", "*", "tel:;", "sip:", "sip:@", "sips:;", "a" * 300, "9" * 5000, "x" * 70000, "\x00", "\x7f", "\xff",
    "é", "\u202e", "😀", "%s%n%x", "{}", "[]", "null", "\t", "  a  ", "a b c d e f g h", "/ /", "1/0", "0/1",
]
EDGE_JSON = [None, True, False, 0, -1, 2 ** 31, 2 ** 63, 2 ** 64, -2 ** 63, 1.5, 1e308, "", "x" * 100000, [], {},
             [None] * 1000, {"a": {"b": {"c": [1, [2, [3]]]}}}, "\u0000", "😀"] + EDGE_STRINGS[:40]


def drain(s, timeout):
    """Reads what the gateway answers until it closes or is quiet for `timeout`."""
    s.settimeout(timeout)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass


def edge(rng):
    return rng.choice(EDGE_STRINGS)


SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 5004 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
       "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n")
BROWSER_SDP = ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
               "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
               "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
               "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\na=setup:actpass\r\na=mid:0\r\n"
               "a=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
               "a=rtpmap:0 PCMU/8000\r\na=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n")


def mutate_lines(text, rng, sep="\r\n"):
    """One line of `text` (not the first) with its value, a parameter, or itself replaced by an edge value."""
    lines = text.split(sep)
    i = rng.randrange(len(lines))
    line = lines[i]
    how = rng.randrange(5)
    if how == 0 and ":" in line:
        name = line.split(":", 1)[0]
        lines[i] = f"{name}: {edge(rng)}"
    elif how == 1 and "=" in line:
        name = line.split("=", 1)[0]
        lines[i] = f"{name}={edge(rng)}"
    elif how == 2:
        words = line.split(" ")
        words[rng.randrange(len(words))] = edge(rng)
        lines[i] = " ".join(words)
    elif how == 3:
        lines.insert(i, line)                       # a duplicate
    else:
        parts = line.split(";")
        parts[rng.randrange(len(parts))] = edge(rng)
        lines[i] = ";".join(parts)
    return sep.join(lines)


class Harness:
    def __init__(self, http_port, sip_port, seed=1, pid=None):
        self.http_port, self.sip_port, self.pid = http_port, sip_port, pid
        self.rng = random.Random(seed)
        self.inputs = 0
        self.n = 0

    # -- liveness -------------------------------------------------------------------------------
    def alive(self):
        if self.pid is not None:
            os.kill(self.pid, 0)
        c = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=5)
        c.request("GET", "/status")
        r = c.getresponse()
        assert r.status == 200, r.status
        r.read()
        c.close()
        code = options(self.sip_port, timeout=5, call_id=f"alive{self.inputs}")
        assert code is not None and code >= 200, f"OPTIONS got {code}"

    def rss_kb(self):
        with open(f"/proc/{self.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

    # -- SIP ------------------------------------------------------------------------------------
    def sip_message(self, local_port):
        self.n += 1
        n = self.n
        kind = self.rng.choice(["INVITE", "INVITE", "REGISTER", "OPTIONS", "BYE", "CANCEL", "INFO", "UPDATE", "ACK",
                                "response"])
        target = self.rng.choice(["busy", "echo", "nobody", "tone"])
        body = mutate_lines(SDP, self.rng) if kind in ("INVITE", "UPDATE") and self.rng.random() < 0.5 else SDP
        if kind == "response":
            start = f"SIP/2.0 {self.rng.choice([100, 180, 183, 200, 401, 407, 422, 486, 503])} Reason"
        else:
            start = f"{kind} sip:{target}@127.0.0.1:{self.sip_port} SIP/2.0"
        headers = [
            f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bKh{n};rport",
            "Max-Forwards: 70",
            f'From: "Hostile" <sip:h{n}@127.0.0.1>;tag=f{n}',
            f"To: <sip:{target}@127.0.0.1>" + (";tag=t1" if kind in ("BYE", "INFO", "UPDATE") else ""),
            f"Call-ID: h{n}@hostile",
            f"CSeq: {n} {kind if kind != 'response' else 'INVITE'}",
            f"Contact: <sip:h{n}@127.0.0.1:{local_port}>;expires=60",
            "Supported: timer, 100rel",
            "Session-Expires: 1800;refresher=uac",
            "Min-SE: 90",
            "Expires: 60",
            'WWW-Authenticate: Digest realm="r", nonce="n", qop="auth", algorithm=MD5',
            "Content-Type: application/sdp",
        ]
        text = start + "\r\n" + "\r\n".join(headers) + f"\r\nContent-Length: {len(body.encode())}\r\n\r\n" + body
        if body == SDP or self.rng.random() < 0.5:
            head, _, rest = text.partition("\r\n\r\n")
            text = mutate_lines(head, self.rng) + "\r\n\r\n" + rest
        return text.encode("utf-8", "surrogateescape")

    def sip_udp(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.sendto(self.sip_message(s.getsockname()[1])[:65000], ("127.0.0.1", self.sip_port))

    def sip_tcp(self):
        with socket.create_connection(("127.0.0.1", self.sip_port), timeout=5) as s:
            data = self.sip_message(s.getsockname()[1])
            if self.rng.random() < 0.3:
                data = data * self.rng.randint(2, 5)                  # back to back on the stream
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            drain(s, 0.05)

    # -- HTTP and long-poll ---------------------------------------------------------------------
    def http_raw(self, data):
        with socket.create_connection(("127.0.0.1", self.http_port), timeout=5) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            drain(s, 1.0)

    def http(self):
        path = self.rng.choice(["/status", "/status?=", "/sign_in?guest", "/wait?id=x&ack=1", "/message?from=x&to=y",
                                "/sign_out?id=x", "/sdk/gateway.js", "/", "/test/echo", "/ws"])
        method = self.rng.choice(["GET", "POST", "PUT", "OPTIONS", "HEAD", "DELETE"])
        body = self.rng.choice(["", "1001:secret", "RSMP {}", "x" * 70000])
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.http_port}", "Origin: http://127.0.0.1",
                "Cookie: GWINSTANCE=1", "Content-Type: text/plain", f"Content-Length: {len(body.encode())}",
                "Connection: close"]
        text = "\r\n".join(head)
        for _ in range(self.rng.randint(1, 2)):
            text = mutate_lines(text, self.rng)
        self.http_raw((text + "\r\n\r\n" + body).encode("utf-8", "surrogateescape"))

    def long_poll(self):
        c = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        try:
            c.request("POST", "/sign_in", body=f"lp{self.n % 50}:x")
            r = c.getresponse()
            body = r.read().decode(errors="replace")
            ssid = body.splitlines()[0].split("=", 1)[1] if body.startswith("id=") else edge(self.rng)
            word = self.rng.choice(["RSMP", "SDP", "BYE", "INVITE", "EVENT-TALK", "EVENT-HOLD", "INFO-PEER", "INFO-MAP",
                                    "GET-STATS", "PUT-STATS", "JSON", "ERROR"])
            message = {"messageType": self.rng.choice(["OFFER", "ANSWER", "OK", edge(self.rng)]),
                       "sdp": mutate_lines(BROWSER_SDP, self.rng), "Candidates": []}
            key = self.rng.choice(list(message))
            message[key] = self.rng.choice(EDGE_JSON)
            payload = f"{word} {json.dumps(message)}" if self.rng.random() < 0.7 else f"{word} {edge(self.rng)}"
            peer = self.rng.choice(["echo", "busy", edge(self.rng)])
            from urllib.parse import quote
            c.request("POST", f"/message?from={quote(ssid)}&to={quote(peer)}", body=payload.encode("utf-8", "surrogateescape"))
            c.getresponse().read()
            c.request("GET", f"/wait?id={quote(ssid)}&ack={quote(edge(self.rng))}")
            c.sock.settimeout(0.1)
            try:
                c.getresponse().read()
            except OSError:
                pass
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
            c.request("GET", f"/sign_out?id={quote(ssid)}")
            c.getresponse().read()
        except (OSError, http.client.HTTPException, IndexError):
            pass
        finally:
            c.close()

    # -- WebSocket ------------------------------------------------------------------------------
    @staticmethod
    def frame(payload, opcode=1, fin=True, mask=True, claimed=None):
        head = bytes([(0x80 if fin else 0) | opcode])
        length = len(payload) if claimed is None else claimed
        bit = 0x80 if mask else 0
        if length < 126:
            head += bytes([bit | length])
        elif length < 65536:
            head += bytes([bit | 126]) + struct.pack(">H", length)
        else:
            head += bytes([bit | 127]) + struct.pack(">Q", length)
        if not mask:
            return head + payload
        key = os.urandom(4)
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))

    def websocket(self):
        with socket.create_connection(("127.0.0.1", self.http_port), timeout=5) as s:
            key = base64.b64encode(os.urandom(16)).decode()
            s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{self.http_port}\r\nUpgrade: websocket\r\n"
                       f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
            s.settimeout(2)
            if b" 101 " not in s.recv(4096):
                return
            messages = [{"type": "sign-in", "user": f"ws{self.n % 50}", "password": "x"},
                        {"type": "call", "call": "c1", "to": "busy", "sdp": BROWSER_SDP},
                        {"type": "dtmf", "call": "c1", "digits": "123"},
                        {"type": "info", "call": "c1", "content": {"a": 1}},
                        {"type": "hold", "call": "c1"}, {"type": "hangup", "call": "c1"}, {"type": "ping"}]
            for m in messages:
                if self.rng.random() < 0.4:
                    k = self.rng.choice(list(m))
                    m[k] = self.rng.choice(EDGE_JSON)
                if m.get("sdp") == BROWSER_SDP and self.rng.random() < 0.5:
                    m["sdp"] = mutate_lines(BROWSER_SDP, self.rng)
                payload = json.dumps(m).encode()
                choice = self.rng.randrange(10)
                if choice == 0:
                    data = self.frame(payload, opcode=self.rng.choice([0, 3, 7, 11, 15]))
                elif choice == 1:
                    data = self.frame(payload, claimed=self.rng.choice([2 ** 31, 2 ** 63 - 1, 70000]))
                elif choice == 2:
                    data = self.frame(payload, mask=False)
                elif choice == 3:
                    data = self.frame(payload[:5], fin=False) + self.frame(b"\xff\xfe", opcode=0)
                elif choice == 4:
                    data = self.frame(b"x" * 70000)
                else:
                    data = self.frame(payload)
                try:
                    s.sendall(data)
                except OSError:
                    return
            drain(s, 0.05)

    SURFACES = ("sip_udp", "sip_udp", "sip_tcp", "http", "long_poll", "websocket")

    def run(self, seconds, log=None):
        deadline = time.monotonic() + seconds
        self.alive()
        counts = {}
        while time.monotonic() < deadline:
            surface = self.rng.choice(self.SURFACES)
            try:
                getattr(self, surface)()
            except (ConnectionError, socket.timeout, OSError):
                pass                                   # being cut off is a fine answer; dying is not
            self.inputs += 1
            counts[surface] = counts.get(surface, 0) + 1
            try:
                self.alive()
            except Exception as e:
                raise AssertionError(f"after input {self.inputs} ({surface}, seed as given): {e}") from e
        if log:
            log(f"hostile inputs: {self.inputs} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
        return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--http-port", type=int, required=True)
    ap.add_argument("--sip-port", type=int, required=True)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    h = Harness(a.http_port, a.sip_port, a.seed, a.pid)
    h.run(a.seconds, log=print)


if __name__ == "__main__":
    main()
