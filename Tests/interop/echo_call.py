"""A Genesys-style long-poll client (aiortc) in a call to the embedded server's `echo`, hearing its own tone back."""
import asyncio

import aioice.ice
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection

from aiortc_peer import Tone, dominant, record
from long_poll import LongPoll, offer_and_answer

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
TONE_HZ = 660


class EchoCall:
    """A long-poll client signed in as `user`, in a call to `echo` once started."""

    def __init__(self, gw, user):
        self.gw, self.user = gw, user
        self.received, self.rate = [], [48000]

    async def start(self):
        loop = asyncio.get_running_loop()
        self.lp = LongPoll(self.gw)
        await loop.run_in_executor(None, self.lp.sign_in, self.user, "any")
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(Tone(TONE_HZ))
        record(self.pc, self.received, self.rate)
        await offer_and_answer(self.lp, self.pc, "echo")
        await loop.run_in_executor(None, self.lp.send, "echo", 'RSMP {"messageType":"OK"}')

    async def hears_its_tone(self):
        """The last second heard is the client's own tone (a silent far end fails)."""
        self.received.clear()
        for _ in range(50):
            if sum(len(r) for r in self.received) >= self.rate[0]:
                break
            await asyncio.sleep(0.1)
        samples = np.concatenate(self.received) if self.received else np.zeros(0)
        if len(samples) < self.rate[0] // 10:
            return False, ("nothing heard", len(samples))
        hz, level = dominant(samples, self.rate[0])
        return abs(hz - TONE_HZ) < 20 and level > -40, (hz, level)

    async def hang_up(self):
        await asyncio.get_running_loop().run_in_executor(None, self.lp.send, "echo", "BYE")
        await self.pc.close()
