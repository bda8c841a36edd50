"""The hostile-input harness (hostile.py) against a running gateway, for a bounded time
(HOSTILE_SECONDS, 60 by default; longer by hand): alive after every input, memory flat."""
import os

from conftest import ROOT
from hostile import Harness

SECONDS = float(os.environ.get("HOSTILE_SECONDS", "60"))
RELEASE = os.path.join(ROOT, ".build", "release", "webrtc-gateway")


def test_hostile_inputs_on_every_surface(start_gateway):
    # The release build when there is one (scripts/test builds it): what runs in production.
    gw = start_gateway(binary=RELEASE if os.path.exists(RELEASE) else None)
    harness = Harness(gw.port, gw.sip_port, seed=int(os.environ.get("HOSTILE_SEED", "1")), pid=gw.proc.pid)
    harness.run(min(10.0, SECONDS / 6))                                 # warm-up: pools, caches, first sessions
    before = harness.rss_kb()
    harness.run(SECONDS, log=print)
    after = harness.rss_kb()
    print(f"hostile inputs: RSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB over {harness.inputs} inputs")
    assert after - before < 48 * 1024, (before, after)
