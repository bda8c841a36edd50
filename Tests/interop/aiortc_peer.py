"""An aiortc peer for the browser-leg tests: sends a sine tone, records
what comes back, and reports the dominant frequency. Run as a script so that
a test can kill it abruptly (a browser that vanishes)."""
import argparse
import asyncio
import fractions
import json
import math
import sys
import urllib.request

import aioice.ice
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError
from av import AudioFrame

# aioice leaves loopback out of its host candidates; the tests run on loopback only.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

RATE = 48000
SAMPLES = 960


class Tone(AudioStreamTrack):
    def __init__(self, hz):
        super().__init__()
        self.hz = hz
        self.n = 0

    async def recv(self):
        if hasattr(self, "_start"):
            wait = self._start + self.n / RATE - asyncio.get_event_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)
        else:
            self._start = asyncio.get_event_loop().time()
        t = (np.arange(self.n, self.n + SAMPLES) / RATE)
        pcm = (0.4 * 32767 * np.sin(2 * math.pi * self.hz * t)).astype(np.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self.n
        frame.time_base = fractions.Fraction(1, RATE)
        self.n += SAMPLES
        return frame


def record(pc, received, rate):
    """Keeps what `pc` hears: each frame's first channel appended to `received`, its sample rate in rate[0]."""
    @pc.on("track")
    def on_track(track):
        async def read():
            while True:
                try:
                    frame = await track.recv()
                except Exception:
                    return
                received.append(frame.to_ndarray().reshape(-1)[::len(frame.layout.channels)])
                rate[0] = frame.sample_rate
        asyncio.ensure_future(read())


def tone_peer(hz):
    """A peer connection that sends a `hz` tone and keeps what it hears: (pc, received, rate), as `record` fills them."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone(hz))
    received, rate = [], [0]
    record(pc, received, rate)
    return pc, received, rate


def dominant(samples, rate):
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    peak = int(np.argmax(spectrum[5:])) + 5
    level = 20 * math.log10(max(np.sqrt(np.mean(samples.astype(np.float64) ** 2)) * math.sqrt(2) / 32768, 1e-9))
    return peak * rate / len(samples), level


async def hear(received, rate, hz, seconds=8):
    """Waits until the last second heard is `hz` (within 15 Hz, louder than -30 dBFS); the last measure."""
    measured = (0.0, -200.0)
    for _ in range(int(seconds * 10)):
        await asyncio.sleep(0.1)
        if rate[0] and len(received) > 60:
            measured = dominant(np.concatenate(received[-50:]), rate[0])
            if abs(measured[0] - hz) < 15 and measured[1] > -30:
                return measured
    raise AssertionError(f"did not hear {hz} Hz: {measured}")


def mangle(sdp, attribute, replace):
    return "\r\n".join(replace(l) if l.startswith("a=" + attribute + ":") else l for l in sdp.split("\r\n"))


async def run(args):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone(args.tone))
    received = []
    done = asyncio.Event()

    @pc.on("track")
    def on_track(track):
        async def read():
            try:
                while True:
                    frame = await track.recv()
                    channels = len(frame.layout.channels)
                    received.append(frame.to_ndarray().reshape(-1)[::channels])  # packed: keep the first channel
                    received_rate[0] = frame.sample_rate
            except MediaStreamError:
                pass
        asyncio.ensure_future(read())

    received_rate = [RATE]
    await pc.setLocalDescription(await pc.createOffer())
    offer = pc.localDescription.sdp
    if args.bad_fingerprint:
        offer = mangle(offer, "fingerprint", lambda l: l[:-2] + ("00" if not l.endswith("00") else "11"))
    req = urllib.request.Request(f"{args.gateway}/test/echo?mode={args.mode}&setup={args.setup}", data=offer.encode(),
                                 method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        answer = json.loads(r.read())
    print(json.dumps({"id": answer["id"]}), flush=True)
    sdp = answer["sdp"]
    if args.bad_ice_password:
        sdp = mangle(sdp, "ice-pwd", lambda l: "a=ice-pwd:" + "x" * 24)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    deadline = asyncio.get_event_loop().time() + args.seconds
    while asyncio.get_event_loop().time() < deadline:
        await asyncio.sleep(0.1)
    result = {"id": answer["id"], "state": pc.connectionState, "ice": pc.iceConnectionState,
              "dtlsRole": getattr(pc.getTransceivers()[0].sender.transport, "_role", None)}
    if received:
        pcm = np.concatenate(received)[-received_rate[0] * 2:]
        hz, level = dominant(pcm, received_rate[0])
        result.update(heardHz=hz, levelDb=level, frames=len(received))
    if args.hold:  # stay up until killed: the test makes this peer vanish
        print(json.dumps(result), flush=True)
        await asyncio.sleep(3600)
    await pc.close()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--gateway", required=True)
    p.add_argument("--mode", default="echo")
    p.add_argument("--setup", default="passive")
    p.add_argument("--tone", type=float, default=1000)
    p.add_argument("--seconds", type=float, default=4)
    p.add_argument("--bad-fingerprint", action="store_true")
    p.add_argument("--bad-ice-password", action="store_true")
    p.add_argument("--hold", action="store_true")
    asyncio.run(run(p.parse_args()))
