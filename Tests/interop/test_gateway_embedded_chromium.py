"""The product end to end on its embedded default (no external SIP server):
headless Chromium signs in through /sdk/gateway.js, and its calls go as SIP
calls through the gateway's built-in registrar/proxy - to the `echo` and
`tone` numbers, and from one browser to another. Audio is proved by content:
the two browsers send different tones."""
import os
import statistics
import time

import pytest

from conftest import BINARY, BROWSER_TONE_HZ, wait_until
from phone import Phone, caller_and_callee, hear_each_other, heard, nothing_open, status


def test_call_echo_and_hang_up(chromium, gateway):
    a = Phone(chromium, gateway)
    assert a.connect("1001") == {"ok": True}
    a.call("echo")
    a.wait_for("answered")
    m = a.hears(BROWSER_TONE_HZ)
    assert heard(m, BROWSER_TONE_HZ), m
    a.hangup()
    assert a.event("ended")["cause"] == "hangup"
    wait_until(lambda: nothing_open(gateway), 5, what="the calls to close at the gateway and its SIP server")
    a.disconnect()


def test_the_tone_number_is_heard_not_an_echo(chromium_b, gateway):
    b = Phone(chromium_b, gateway)
    assert b.connect("1002") == {"ok": True}
    b.call("tone")
    b.wait_for("answered")
    m = b.hears(1000)
    assert heard(m, 1000), m           # the number's 1 kHz, while this browser sends 600 Hz
    b.hangup()
    b.disconnect()


def test_browser_calls_browser_through_two_sip_calls(chromium, chromium_b, gateway):
    a, b = caller_and_callee(chromium, chromium_b, gateway)
    log_before = len(gateway.logs())
    a.call("1002")
    b.wait_for("incoming")
    a.wait_for("answered")
    b.wait_for("answered")
    hear_each_other(a, b)
    assert status(gateway)["gateway"]["calls"] == 2   # the caller's call and the callee's, each a SIP call
    logs = gateway.logs()[log_before:]
    assert "1001 calls 1002, SIP call" in logs and "rings 1002" in logs, logs[-3000:]
    # The callee holds and resumes (its re-INVITEs in the dialog it answered): the caller hears of both.
    assert b.hold() == {"ok": True}
    assert a.wait_for("held")["by"] == "remote"
    assert b.resume() == {"ok": True}
    assert a.wait_for("resumed")["by"] == "remote"
    # The callee hangs up: the caller's call ends within 2 s.
    b.hangup()
    ended = a.wait_for("ended", timeout=2)
    assert ended["cause"] == "hangup", ended
    wait_until(lambda: nothing_open(gateway), 5, what="both calls to close")
    a.disconnect()
    b.disconnect()


def test_failures_end_with_a_clear_cause(chromium, chromium_b, gateway):
    a = Phone(chromium, gateway)
    assert a.connect("1001") == {"ok": True}
    # The callee declines: 603, "rejected" at the caller.
    b = Phone(chromium_b, gateway)
    assert b.connect("1002") == {"ok": True}
    a.call("1002")
    b.wait_for("incoming")
    b.run("window.phone.reject().then(() => done(true));")
    assert a.wait_for("failed")["code"] == "rejected"
    assert b.wait_for("ended")["cause"] == "rejected"
    b.disconnect()
    a.driver.execute_script("window.phone.events.length = 0")
    for number, cause in [("4711", "not-found"), ("busy", "busy")]:
        a.call(number)
        failed = a.wait_for("failed")
        assert failed["code"] == cause, failed
        a.driver.execute_script("window.phone.events.length = 0")
    # A malformed name is refused; so is a user already signed in on this gateway.
    b = Phone(chromium_b, gateway)
    assert b.connect("bad user")["code"] == "bad-user"
    assert b.connect("1001")["code"] == "in-use"
    a.disconnect()
    assert b.connect("1001")["ok"]    # free again once signed out
    b.disconnect()


def test_closing_the_page_mid_call_hangs_up(chromium, chromium_b, gateway):
    a, b = caller_and_callee(chromium, chromium_b, gateway)
    a.call("1002")
    a.wait_for("answered")
    chromium_b.get("about:blank")      # the callee's page goes away mid-call
    ended = a.wait_for("ended", timeout=5)
    assert ended["cause"] == "hangup", ended
    wait_until(lambda: nothing_open(gateway) and status(gateway)["gateway"]["signedIn"] == 1, 5,
               what="the closed page's session, call and registration to go")
    a.driver.execute_script("window.phone.events.length = 0")
    a.call("1002")                     # its binding is gone from the SIP server too
    assert a.wait_for("failed")["code"] == "not-found"
    a.disconnect()


def test_setup_times(chromium, gateway):
    """Time from client.call() to answered and to first audio, over ten echo calls (printed, not asserted)."""
    a = Phone(chromium, gateway)
    assert a.connect("1001") == {"ok": True}
    answered, audio = [], []
    for _ in range(10):
        a.call("echo")
        a.wait_for("answered")
        timing = wait_until(lambda: (t := a.state()["timing"]).get("firstAudioAt") and t, 5, what="first audio")
        answered.append(timing["answeredAt"] - timing["createdAt"])
        audio.append(timing["firstAudioAt"] - timing["createdAt"])
        a.hangup()
        a.driver.execute_script("window.phone.events.length = 0")
    a.disconnect()
    print(f"\ncall() -> answered: median {statistics.median(answered):.1f} ms (min {min(answered):.1f}, "
          f"max {max(answered):.1f}); call() -> first audio: median {statistics.median(audio):.1f} ms "
          f"(min {min(audio):.1f}, max {max(audio):.1f}), 10 calls to echo through the embedded SIP server")


CONCURRENT_CALLS = int(os.environ.get("GW_CONCURRENT_CALLS", "30"))


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("codecs", [None, ["opus"]], ids=["relay", "transcode"])
def test_concurrent_calls(chromium, start_gateway, codecs):
    """Many browser clients in one page (30; GW_CONCURRENT_CALLS), each in a call to echo at once: every one
    answered and receiving audio. Each takes four media ports: browser leg, SIP leg (RTP and RTCP), the echo
    number's. Prints the gateway's CPU per call-second while they run (the browser offering G.711, which the
    bridge relays, or Opus only, which it transcodes to and from PCMU), and its heap allocations per packet
    on the browser leg (each of which is also a packet each way between the SIP leg and the echo number)."""
    gateway = start_gateway("--rtp-ports", "20000-20999", count_allocations=True)
    a = Phone(chromium, gateway)
    answered = a.run("window.phone.many(arguments[0], 'echo', arguments[1]).then(done);", CONCURRENT_CALLS, codecs)
    assert answered == CONCURRENT_CALLS
    assert status(gateway)["gateway"]["calls"] == CONCURRENT_CALLS
    def all_hear():
        stats = a.run("window.phone.manyStats().then(done);")
        return all(s["packets"] > 50 and s["energy"] > 0 for s in stats) and stats
    stats = wait_until(all_hear, 10, what="audio on every call")
    allocations, packets = gateway.allocations(), status(gateway)["browserPackets"]
    before, started = cpu_seconds(gateway.proc.pid), time.monotonic()
    wait_until(lambda: time.monotonic() - started >= 5, 6, interval=0.5, what="five seconds of calls")
    cpu = (cpu_seconds(gateway.proc.pid) - before) / (CONCURRENT_CALLS * (time.monotonic() - started))
    per_packet = (gateway.allocations() - allocations) / (status(gateway)["browserPackets"] - packets)
    a.run("window.phone.manyEnd().then(() => done(true));")
    wait_until(lambda: nothing_open(gateway) and status(gateway)["gateway"]["signedIn"] == 0, 10, what="all calls closed")
    build = "release" if "/release/" in BINARY else "debug"
    print(f"\n{CONCURRENT_CALLS} concurrent browser calls held ({'Opus transcoded' if codecs else 'G.711 relayed'}, "
          f"{build} build), "
          f"fewest packets received on one: {min(s['packets'] for s in stats)}; gateway CPU {cpu * 1e3:.2f} ms "
          "per call-second (both legs, the echo number included), "
          f"{per_packet:.2f} heap allocations per browser-leg packet (the whole process)")


def test_the_softphone_page(chromium, gateway):
    """The demo at / with nothing but its own buttons: sign in, call echo, hear it on the meter, hang up."""
    from selenium.webdriver.common.by import By
    d = chromium

    def type_into(field, text):
        d.find_element(By.ID, field).clear()
        d.find_element(By.ID, field).send_keys(text)

    def shows(text):
        return text in d.find_element(By.ID, "status").text

    d.get(gateway.url + "/")
    type_into("user", "1001")
    d.find_element(By.ID, "signinButton").click()
    wait_until(lambda: shows("Signed in as 1001"), 10, what="the sign-in")
    type_into("number", "echo")
    d.find_element(By.ID, "dial").click()
    wait_until(lambda: shows("In call with echo"), 10, what="the answer")
    wait_until(lambda: float(d.find_element(By.ID, "farLevel").get_attribute("value")) > 0.05, 10,
               what="the far-end meter to move")
    d.find_element(By.ID, "hangup").click()
    wait_until(lambda: shows("ended"), 5, what="the hang-up")
    type_into("number", "busy")
    d.find_element(By.ID, "dial").click()
    # The number is "busy" too ("Calling busy…"): wait for the failure itself, shown as an error.
    wait_until(lambda: shows("busy") and "error" in d.find_element(By.ID, "status").get_attribute("class"), 5,
               what="a clear message for busy")
    d.find_element(By.ID, "signout").click()
    wait_until(lambda: nothing_open(gateway) and status(gateway)["gateway"]["signedIn"] == 0, 5, what="the sign-out")
