"""A signed-in client idle for a minute, then a call of several minutes, over the Genesys long-poll protocol by
raw HTTP as the Genesys client speaks it: its /wait abandoned and sent again every 30 s (the 8.5 client's
timeout), nothing said for minutes. The session must stay signed in while idle; the call must stay up with its
audio (a 440 Hz tone heard back from `echo`, checked every minute) and end by the client's BYE with no word from
the gateway in between.

Marked `minutes`: ./scripts/test runs it in a network namespace of its own beside the rest of the interop
suite (LONG_CALL_MINUTES, 5 by default), so that it costs no time of its own."""
import asyncio
import json
import os
import threading
import time

import numpy as np
import pytest

from aiortc_peer import dominant, tone_peer
from conftest import wait_until
from long_poll import LongPoll, offer_and_answer
from phone import status

MINUTES = float(os.environ.get("LONG_CALL_MINUTES", "5"))
CLIENT_POLL_TIMEOUT = 30     # the Genesys 8.5 client abandons a /wait after this, and polls again


class Poller(threading.Thread):
    """Polls /wait as the client does; keeps every word and every status other than 200, and counts the polls."""

    def __init__(self, lp, until=None):
        super().__init__(daemon=True)
        self.lp = lp
        self.until = until
        self.words = []
        self.failures = []
        self.polls = 0
        self.stopping = threading.Event()

    def run(self):
        """Polls until stopped, or (`until`) until that time, its last poll cut short to end then."""
        while not self.stopping.is_set():
            timeout = CLIENT_POLL_TIMEOUT
            if self.until is not None:
                timeout = min(timeout, self.until - time.monotonic())
                if timeout <= 0:
                    return
            try:
                s, _, body = self.lp.request("GET", f"/wait?id={self.lp.id}", timeout=timeout)
            except TimeoutError:
                self.polls += 1
                continue                    # the client's own timeout (the gateway holds longer): it polls again
            self.polls += 1
            if s != 200:
                self.failures.append((s, body))     # the client would end its session here
                return
            if body:
                self.words.append(body)


def heard(received, rate):
    """The dominant frequency and level of the last two seconds heard."""
    if not received or not rate[0]:
        return 0.0, -200.0
    samples = np.concatenate(received[-100:])[-2 * rate[0]:]
    return dominant(samples, rate[0])


async def long_call(gw):
    loop = asyncio.get_running_loop()
    lp = LongPoll(gw)
    await loop.run_in_executor(None, lp.sign_in, "1003", "any")
    # The idle minute is the claim itself: nothing to wait on but the clock.
    idle = Poller(lp, until=time.monotonic() + 60)
    await loop.run_in_executor(None, idle.run)
    assert idle.failures == [] and idle.words == [] and idle.polls >= 2, (idle.failures, idle.words, idle.polls)
    assert (await loop.run_in_executor(None, status, gw))["gateway"]["signedIn"] == 1
    pc, received, rate = tone_peer(440)
    await offer_and_answer(lp, pc, "echo")
    await loop.run_in_executor(None, lp.send, "echo", 'RSMP {"messageType":"OK"}')
    poller = Poller(lp)
    poller.start()
    started = time.monotonic()
    checks = []
    try:
        for minute in range(1, int(MINUTES) + 1):
            while time.monotonic() - started < 60 * minute:
                await asyncio.sleep(1)
                del received[:-200]         # keep the last four seconds
                assert not poller.failures, poller.failures
            hz, level = heard(received, rate)
            calls = (await loop.run_in_executor(None, status, gw))["gateway"]["calls"]
            checks.append((minute, round(hz), round(level, 1), calls))
            print(f"minute {minute}: {hz:.0f} Hz at {level:.1f} dBFS, calls up {calls}, polls {poller.polls}")
            assert calls == 1, checks
            assert abs(hz - 440) < 15 and level > -30, checks     # a silent far end fails here
        assert poller.words == [], poller.words                # nothing said while the call was up
        assert poller.polls >= MINUTES * 60 / CLIENT_POLL_TIMEOUT - 1, poller.polls   # it kept polling
        await pc.close()
        await loop.run_in_executor(None, lp.send, "echo", "BYE")
        await loop.run_in_executor(None, lambda: wait_until(
            lambda: status(gw)["gateway"]["calls"] == 0, 5, what="the call's end"))
    finally:
        poller.stopping.set()
    await asyncio.sleep(1)
    # The client's own BYE is not echoed and its media's close after it is no error.
    assert poller.words == [] and poller.failures == [], (poller.words, poller.failures)
    print(json.dumps({"minutes": MINUTES, "polls": poller.polls, "checks": checks}))


@pytest.mark.minutes
@pytest.mark.timeout(int(MINUTES * 60) + 240)
def test_a_call_of_several_minutes_over_long_poll_keeps_its_audio(start_gateway):
    asyncio.run(long_call(start_gateway()))
