"""Fixtures for the interop tests: the gateway process and headless Chromium.

Run inside scripts/netns-run (only loopback exists there); scripts/test does.
"""
import atexit
import base64
import hashlib
import json
import math
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import urllib.request
import wave

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("GATEWAY_BINARY", os.path.join(ROOT, ".build", "debug", "webrtc-gateway"))
ALLOC_COUNTER = os.path.join(ROOT, "build", "alloc-counter.so")   # make alloc-counter


def self_signed_cert(directory):
    """A certificate for 127.0.0.1 and its key (PEM files in `directory`)."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def https_cert():
    """The suite's HTTPS certificate: (cert, key, the base64 SHA-256 of its public key), the last for
    Chromium's --ignore-certificate-errors-spki-list, so that the browsers trust it and no other."""
    directory = tempfile.mkdtemp(prefix="gw-https-")
    atexit.register(shutil.rmtree, directory, True)
    cert, key = self_signed_cert(directory)
    pem = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pem, check=True,
                         capture_output=True).stdout
    return cert, key, base64.b64encode(hashlib.sha256(der).digest()).decode()


HTTPS_CERT = https_cert()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pytest_configure(config):
    config.addinivalue_line("markers", "minutes: a test of several minutes, run beside the suite (scripts/test)")


def wait_until(condition, timeout, interval=0.05, what="condition"):
    """Polls `condition` until it returns a true value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


_gateways_started = [0]


def rtp_block():
    """A block of 100 media ports of its own for each gateway of the run, below the kernel's ephemeral
    range (32768-60999), where the tests' peers and clients take theirs: no two ever share a port."""
    _gateways_started[0] += 1
    return 21000 + (_gateways_started[0] % 110) * 100


class Gateway:
    def __init__(self, tmp, *extra, count_allocations=False, test_routes=True, binary=None, wrapper=()):
        low = rtp_block()
        self.log_path = os.path.join(tmp, "gateway.log")
        self.log = open(self.log_path, "w")
        # Served over HTTPS when given a certificate (the HTTPS_CERT of the suite, which the browsers trust).
        self.scheme = "https" if "--https-cert" in extra else "http"
        self.ssl_context = ssl.create_default_context(cafile=HTTPS_CERT[0]) if self.scheme == "https" else None
        env = dict(os.environ)
        self.alloc_file, self.alloc_reads = os.path.join(tmp, "allocations"), 0
        if count_allocations:
            env.update(LD_PRELOAD=ALLOC_COUNTER, GWM_ALLOC_COUNT_FILE=self.alloc_file)
        # The gateway binds port 0 for HTTP and SIP and says which ports it got: no race for a port
        # between asking the OS for a free one and binding it.
        self.proc = subprocess.Popen(
            [*wrapper, binary or BINARY, "--http", "127.0.0.1:0", "--media-ip", "127.0.0.1", "--rtp-ports", f"{low}-{low + 99}",
             "--sip-listen", "127.0.0.1:0", *(["--test-routes"] if test_routes else []), *extra],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.port, self.sip_port = wait_until(self._up, 30, what="the gateway's banner")

    def _up(self):
        if self.proc.poll() is not None:
            raise AssertionError("gateway exited: " + self.logs())
        m = re.search(r"listening on https?://[^:]+:(\d+)/ \(SIP on [^:]+:(\d+),", self.logs())
        return (int(m.group(1)), int(m.group(2))) if m else None

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def post(self, path, body):
        req = urllib.request.Request(self.url + path, data=body.encode(), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10, context=self.ssl_context) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def session(self, sid):
        with urllib.request.urlopen(f"{self.url}/test/session?id={sid}", timeout=5, context=self.ssl_context) as r:
            return json.loads(r.read())

    def sip_status(self):
        with urllib.request.urlopen(f"{self.url}/test/sip", timeout=5, context=self.ssl_context) as r:
            return json.loads(r.read())

    def allocations(self):
        """The heap allocations the process made so far (started with count_allocations)."""
        self.alloc_reads += 1
        self.proc.send_signal(signal.SIGUSR2)

        def read():
            try:
                with open(self.alloc_file) as f:
                    reads, count = map(int, f.read().split())
            except (OSError, ValueError):
                return None
            return count if reads == self.alloc_reads else None
        return wait_until(read, 5, what="the gateway's allocation count")

    def logs(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        # SIGTERM drains (calls up may go on); a second one ends them at once, still cleanly.
        for _ in range(2):
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(2)
                except subprocess.TimeoutExpired:
                    pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def workdir():
    d = tempfile.mkdtemp(prefix="gw-interop-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def gateway(workdir):
    g = Gateway(workdir)
    yield g
    g.stop()


@pytest.fixture
def start_gateway(workdir):
    """Starts gateways with extra flags; stops them after the test."""
    started = []

    def start(*extra, **options):
        g = Gateway(tempfile.mkdtemp(dir=workdir), *extra, **options)
        started.append(g)
        return g
    yield start
    for g in started:
        g.stop()


def write_tone(path, hz, seconds=10, rate=48000, level=0.5):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = bytearray()
        for i in range(rate * seconds):
            frames += struct.pack("<h", int(level * 32767 * math.sin(2 * math.pi * hz * i / rate)))
        w.writeframes(bytes(frames))


BROWSER_TONE_HZ = 1000


def launch_chromium(workdir, tone_hz):
    """Headless Chromium whose microphone plays a steady `tone_hz` tone."""
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    tone = os.path.join(workdir, f"tone-{tone_hz}.wav")
    write_tone(tone, tone_hz)
    profile = tempfile.mkdtemp(prefix="gw-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/lib/chromium/chromium"
    for a in ["--headless=new", "--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-audio-capture={tone}", "--allow-loopback-in-peer-connection",
              "--autoplay-policy=no-user-gesture-required", "--disable-features=WebRtcHideLocalIpsWithMdns",
              "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-default-apps", "--disable-domain-reliability", "--disable-breakpad",
              "--metrics-recording-only", "--disable-extensions", "--proxy-server=http://127.0.0.1:9",
              "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
              f"--ignore-certificate-errors-spki-list={HTTPS_CERT[2]}", f"--user-data-dir={profile}"]:
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=opts)
    driver.set_script_timeout(30)
    return driver, profile


def browser(workdir, tone_hz):
    driver, profile = launch_chromium(workdir, tone_hz)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def chromium(workdir):
    yield from browser(workdir, BROWSER_TONE_HZ)


SECOND_BROWSER_TONE_HZ = 600


@pytest.fixture(scope="session")
def chromium_b(workdir):
    """A second browser, with a different tone: what one hears cannot be its own echo."""
    yield from browser(workdir, SECOND_BROWSER_TONE_HZ)


@pytest.fixture
def rtp_peer():
    """RTP peers of the test (sip_peers.RtpPeer: a tone out, a recording in), closed afterwards."""
    from sip_peers import RtpPeer
    peers = []

    def make(**kw):
        peers.append(RtpPeer(**kw))
        return peers[-1]
    yield make
    for p in peers:
        p.close()
