"""Real SIP peers for the interop tests: kamailio from the repo's config, and
an RTP peer that plays a tone and records what it gets (G.711 and RFC 4733)."""
import contextlib
import os
import signal
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

import numpy as np
import pytest

from conftest import free_port, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
DOMAIN = "example.com"
USERS = {"1001": "alpha-secret", "1002": "bravo-secret"}


def kamailio_workdir(users):
    """A scratch folder for kamailio with a db_text subscriber table of `users` (user: password): (folder, db URL)."""
    if not shutil.which("kamailio"):
        pytest.fail("kamailio is not installed (scripts/setup --test installs it)")
    work = tempfile.mkdtemp(prefix="gw-kamailio-")
    db = os.path.join(work, "db")
    os.mkdir(db)
    with open(os.path.join(db, "version"), "w") as f:
        f.write("table_name(str) table_version(int)\nsubscriber:7\n")
    with open(os.path.join(db, "subscriber"), "w") as f:
        f.write("id(int,auto) username(str) domain(str) password(str) ha1(str,null) ha1b(str,null)\n")
        for i, (user, password) in enumerate(users.items(), 1):
            f.write(f"{i}:{user}:{DOMAIN}:{password}::\n")
    return work, f"text://{db}"


def start_kamailio(tls=False, trunk_port=9):
    """Starts kamailio with the repo's config (users USERS in a db_text table; numbers
    9xxx routed to 127.0.0.1:trunk_port); yields (port, TLS certificate path)."""
    work, db_url = kamailio_workdir(USERS)
    with open(os.path.join(HERE, "kamailio", "kamailio.cfg.in")) as f:
        cfg = f.read().replace("@DB_URL@", db_url).replace("@DOMAIN@", DOMAIN)
        cfg = cfg.replace("@TRUNK_PORT@", str(trunk_port))
    port = free_port()
    listen = ["-l", f"udp:127.0.0.1:{port}"]
    cert = os.path.join(work, "cert.pem")
    if tls:
        # A self-signed certificate for 127.0.0.1, which the gateway is told to trust.
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", os.path.join(work, "key.pem"), "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        with open(os.path.join(HERE, "kamailio", "tls.cfg.in")) as f:
            tls_cfg = f.read().replace("@CERT@", cert).replace("@KEY@", os.path.join(work, "key.pem"))
        with open(os.path.join(work, "tls.cfg"), "w") as f:
            f.write(tls_cfg)
        cfg = cfg.replace("@TLS_CFG@", os.path.join(work, "tls.cfg"))
        listen = ["-l", f"tls:127.0.0.1:{port}", "-A", "WITH_TLS"]
    yield from run_kamailio(work, cfg, listen, (port, cert))


def run_kamailio(work, cfg, listen, started):
    """Runs kamailio with the config text `cfg` on `listen` (-l flags) in `work`; yields `started`, then stops it."""
    cfg_path = os.path.join(work, "kamailio.cfg")
    with open(cfg_path, "w") as f:
        f.write(cfg)
    log = open(os.path.join(work, "kamailio.log"), "w")
    # Its own process group: kamailio forks workers, and they must all go when it stops.
    proc = subprocess.Popen(["kamailio", "-f", cfg_path, *listen, "-DD", "-E", "-n", "1",
                             "-P", os.path.join(work, "pid"), "-Y", work, "-w", work],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_until(lambda: proc.poll() is not None or "INFO" in open(log.name).read(), 10, what="kamailio to start")
    assert proc.poll() is None, open(log.name).read()[-3000:]
    yield started
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)      # workers that outlived their main process
    proc.wait()
    log.close()
    shutil.rmtree(work, ignore_errors=True)


def _ulaw_table():
    out = np.zeros(256, dtype=np.int16)
    for i in range(256):
        u = ~i & 0xFF
        t = ((u & 0x0F) << 3) + 0x84
        t <<= (u & 0x70) >> 4
        out[i] = (0x84 - t) if u & 0x80 else (t - 0x84)
    return out


def _alaw_table():
    out = np.zeros(256, dtype=np.int16)
    for i in range(256):
        a = i ^ 0x55
        t = (a & 0x0F) << 4
        seg = (a & 0x70) >> 4
        t = t + 8 if seg == 0 else (t + 0x108) << (seg - 1)
        out[i] = t if a & 0x80 else -t
    return out


ULAW, ALAW = _ulaw_table(), _alaw_table()
SEND_TABLES = {}


def _encoder(table):
    """Nearest-code G.711 encoder from the decode table (slow but exact enough for tones)."""
    if id(table) not in SEND_TABLES:
        order = np.argsort(table)
        SEND_TABLES[id(table)] = (table[order].astype(np.int32), order.astype(np.uint8))
    values, codes = SEND_TABLES[id(table)]

    def encode(samples):
        idx = np.clip(np.searchsorted(values, samples), 1, len(values) - 1)
        left = values[idx - 1]
        pick = np.where(np.abs(samples - left) <= np.abs(values[idx] - samples), idx - 1, idx)
        return codes[pick].tobytes()
    return encode


class RtpPeer:
    """The media of a SIP test peer: plays a G.711 tone (or silence, or
    nothing) to the gateway, from the first packet's source on (symmetric
    RTP), and records what the gateway sends: audio and RFC 4733 events.
    With `srtp`, it speaks SDES-SRTP (libsrtp through pylibsrtp): `key` is its
    own, and the gateway's is given with `set_remote_key` (what arrives
    before is kept and decrypted then)."""

    def __init__(self, hz=600, codec="PCMU", mode="tone", event_pt=101, srtp=False):
        self.codec, self.pt = codec, 0 if codec == "PCMU" else 8
        self.table = ULAW if codec == "PCMU" else ALAW
        self.hz, self.mode, self.event_pt = hz, mode, event_pt
        self.sock, self.rtcp_sock = self._bind_pair()
        self.sock.settimeout(0.005)
        self.rtcp_sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.rtcp_from = []      # source addresses of the RTCP packets received on port + 1
        self.remote = None
        self.audio = {}          # payload type -> bytearray of payloads
        self.events = []         # (timestamp, event code, end bit)
        self.first_packet_at = None
        self.tx = self.rx = None
        self.pending = []
        if srtp:
            from pylibsrtp import Policy, Session
            self.key = os.urandom(30)
            self.tx = Session(policy=Policy(key=self.key, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @staticmethod
    def _bind_pair():
        """An even RTP port with the RTCP port above it free (RFC 3550 §11)."""
        for _ in range(100):
            rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            rtp.bind(("127.0.0.1", 0))
            port = rtp.getsockname()[1]
            if port % 2 == 0:
                rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    rtcp.bind(("127.0.0.1", port + 1))
                    return rtp, rtcp
                except OSError:
                    rtcp.close()
            rtp.close()
        raise AssertionError("no free even/odd port pair")

    def _run(self):
        encode = _encoder(self.table)
        seq, ts, phase = 1, 0, 0
        next_send = time.monotonic()
        while self.running:
            try:
                data, addr = self.sock.recvfrom(2048)
                self._record(data, addr)
            except socket.timeout:
                pass
            except OSError:
                return
            try:
                _, addr = self.rtcp_sock.recvfrom(2048)
                self.rtcp_from.append(addr)
            except (BlockingIOError, OSError):
                pass
            now = time.monotonic()
            if self.remote and self.mode != "mute" and now >= next_send:
                next_send = now + 0.02
                n = np.arange(phase, phase + 160)
                phase += 160
                level = 0 if self.mode == "silence" else 0.25 * 32767
                samples = (level * np.sin(2 * np.pi * self.hz * n / 8000)).astype(np.int32)
                header = struct.pack("!BBHII", 0x80, self.pt, seq & 0xFFFF, ts & 0xFFFFFFFF, 0x5eed)
                seq, ts = seq + 1, ts + 160
                packet = header + encode(samples)
                try:
                    self.sock.sendto(self.tx.protect(packet) if self.tx else packet, self.remote)
                except OSError:
                    pass

    def set_remote_key(self, key):
        from pylibsrtp import Policy, Session
        self.rx = Session(policy=Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND))
        pending, self.pending = self.pending, []
        for data in pending:
            self._record(data, self.remote)

    def _record(self, data, addr):
        if len(data) < 12 or data[0] >> 6 != 2 or 72 <= (data[1] & 0x7F) <= 76:
            return  # not RTP (RTCP shares the port when muxed)
        self.remote = self.remote or addr
        self.first_packet_at = self.first_packet_at or time.monotonic()
        if self.tx:
            if not self.rx:
                self.pending.append(data)
                return
            try:
                data = self.rx.unprotect(data)
            except Exception:
                return   # fails authentication: not counted as audio
        pt = data[1] & 0x7F
        cc = data[0] & 0x0F
        offset = 12 + 4 * cc
        if data[0] & 0x10 and len(data) >= offset + 4:
            offset += 4 + 4 * struct.unpack("!H", data[offset + 2:offset + 4])[0]
        payload = data[offset:]
        if pt == self.event_pt and len(payload) >= 4:
            self.events.append((struct.unpack("!I", data[4:8])[0], payload[0], bool(payload[1] & 0x80)))
        else:
            self.audio.setdefault(pt, bytearray()).extend(payload)

    def tone(self, pt=None, seconds=1.0):
        """(dominant frequency, level in dBFS) of the last `seconds` of audio received."""
        pt = self.pt if pt is None else pt
        table = ULAW if pt == 0 else ALAW
        data = bytes(self.audio.get(pt, b""))[-int(8000 * seconds):]
        if len(data) < 800:
            return 0.0, -200.0
        samples = table[np.frombuffer(data, dtype=np.uint8)].astype(np.float64)
        spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
        peak = int(np.argmax(spectrum[1:]) + 1)
        rms = np.sqrt(np.mean(samples ** 2)) / 32768
        return peak * 8000 / len(samples), 20 * np.log10(max(rms * np.sqrt(2), 1e-9))

    def digits(self):
        """The RFC 4733 events received, one per event (its end packets are sent three times)."""
        names = "0123456789*#ABCD"
        seen, out = set(), []
        for ts, code, end in self.events:
            if end and ts not in seen and code < len(names):
                seen.add(ts)
                out.append(names[code])
        return "".join(out)

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()
        self.rtcp_sock.close()


def run_sipp(target, scenario, *flags, timeout=60, background=False):
    """Runs one sipp call with a scenario from sipp/ (a UAS when `target` is
    None); returns the CompletedProcess, or with `background` the Popen."""
    # os.path.join keeps an absolute path: a scenario written by the test runs too.
    args = ["sipp", *([target] if target else []), "-sf", os.path.join(HERE, "sipp", scenario), "-i", "127.0.0.1", "-m", "1",
            "-nostdin", "-timeout", f"{timeout}s", "-timeout_error", *flags]
    if background:
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout + 30)
