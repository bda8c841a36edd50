"""Browsers as SIP endpoints on a real SIP network: kamailio is the registrar
and proxy (the browsers' digest passwords are in its user table), sipp plays
the SIP phones, and an RTP peer of the test plays their audio (a 600 Hz
tone) and records what reaches them. Audio both ways is proved by content:
the SIP side's recording decodes to the browser's 1 kHz, and the page hears
600 Hz; a SIP peer that sends silence or nothing fails the same check."""
import asyncio
import os
import socket
import struct
import subprocess
import sys
import tempfile

import aioice.ice
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from aiortc_peer import Tone, hear, tone_peer
from conftest import BROWSER_TONE_HZ, free_port, wait_until
from long_poll import LongPoll, answer_offer, offer_and_answer
from phone import Phone, hear_each_other, heard, nothing_open, status
from sip_peers import DOMAIN, HERE, USERS, run_sipp, start_kamailio

PEER_HZ = 600
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


@pytest.fixture(scope="module")
def network():
    """kamailio, with numbers 9xxx routed to a trunk port where a sipp UAS listens."""
    trunk = free_port()
    for port, _ in start_kamailio(trunk_port=trunk):
        yield {"kamailio": port, "trunk": trunk}


@pytest.fixture(scope="module")
def sip_gateway(network, workdir):
    from conftest import Gateway
    g = Gateway(tempfile.mkdtemp(dir=workdir), "--sip-server", f"127.0.0.1:{network['kamailio']}", "--sip-domain", DOMAIN)
    yield g
    g.stop()


def uas(network, peer, scenario="uas_answer.xml", *flags, trace=None):
    codec = {0: "PCMU", 8: "PCMA"}[peer.pt]
    extra = ["-trace_msg", "-message_file", trace] if trace else []
    return run_sipp(None, scenario, "-p", str(network["trunk"]), "-set", "rtpport", str(peer.port), "-set", "pt",
                    str(peer.pt), "-set", "codec", codec, *extra, *flags, background=True)


def signed_in(driver, gateway, user="1001"):
    phone = Phone(driver, gateway)
    result = phone.connect(user, USERS[user])
    assert result == {"ok": True}, result
    return phone


def sipp_passed(sipp, timeout=20):
    """Waits for a sipp run in the background to end; its scenario (and its checks) must have passed."""
    out, _ = sipp.communicate(timeout=timeout)
    assert sipp.returncode == 0, out[-2000:]


def phone_hears_browser(peer, pt=None, timeout=5):
    """The SIP side's recording decodes to the browser's 1 kHz, above -40 dBFS."""
    hz, level = wait_until(lambda: (t := peer.tone(pt))[1] > -40 and t, timeout, what="the browser's audio at the SIP phone")
    assert abs(hz - BROWSER_TONE_HZ) <= 20, (hz, level)


@pytest.mark.parametrize("mode", ["tone", "silence", "mute"])
def test_browser_calls_a_sip_phone(chromium, sip_gateway, network, rtp_peer, mode, tmp_path):
    peer = rtp_peer(hz=PEER_HZ, mode=mode)
    trace = str(tmp_path / "sipp.log")
    sipp = uas(network, peer, trace=trace)
    a = signed_in(chromium, sip_gateway)
    try:
        a.call("9000")
        a.wait_for("answered")
        m = a.hears(PEER_HZ, seconds=6 if mode == "tone" else 3)
        phone_hears_browser(peer)
        if mode != "tone":
            assert not heard(m, PEER_HZ), m                      # negative control: nothing to hear, nothing heard
            return
        assert heard(m, PEER_HZ), m
        # RTCP without rtcp-mux (the phone did not offer it): to the port above its RTP, from the one above ours.
        rtcp_source = wait_until(lambda: peer.rtcp_from and peer.rtcp_from[0], 12, what="RTCP on the phone's RTCP port")
        assert rtcp_source[1] == peer.remote[1] + 1, (rtcp_source, peer.remote)
        media_cannot_be_redirected(peer)
        # DTMF from the browser reaches the SIP side as RFC 4733 events; keys pressed while
        # earlier digits still play are queued behind them.
        a.dtmf("12")
        a.dtmf("3#")
        wait_until(lambda: peer.digits() == "123#", 5, what=f"DTMF 123# at the SIP peer (got {peer.digits()!r})")
        # Hold and resume: re-INVITEs with sendonly, then sendrecv.
        assert a.hold() == {"ok": True}
        assert a.resume() == {"ok": True}
        a.hangup()
        sipp_passed(sipp)
        log = open(trace).read()
        invites = [m for m in log.split("-----") if "INVITE sip:" in m and "CSeq: 1 INVITE" not in m]
        assert any("a=sendonly" in m for m in invites) and any("a=sendrecv" in m for m in invites[-1:]), log[-4000:]
    finally:
        a.hangup()
        a.disconnect()
        if sipp.poll() is None:
            sipp.kill()
    wait_until(lambda: nothing_open(sip_gateway), 5, what="no call left at the gateway")


def media_cannot_be_redirected(peer):
    """A packet from another port of the phone's address (a spoofer on its network, or behind its NAT)
    does not move the call's audio: the SIP leg latched on the phone's port with its first packet."""
    spoof = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    spoof.bind(("127.0.0.1", 0))
    spoof.settimeout(1.0)
    try:
        for seq in range(5):
            spoof.sendto(struct.pack("!BBHII", 0x80, 0, 40000 + seq, 9_000_000 + 160 * seq, 0xbad) + b"\xff" * 160,
                         peer.remote)
        before = len(peer.audio.get(0, b""))
        with pytest.raises(socket.timeout):
            spoof.recv(2048)                                          # nothing comes to the spoofer
        assert len(peer.audio.get(0, b"")) > before + 4000            # and the phone still gets its audio
    finally:
        spoof.close()


@pytest.mark.parametrize("scenario", ["uac_call_browser.xml", "uac_call_browser_delayed_offer.xml"],
                         ids=["offer", "delayed-offer"])
def test_a_sip_phone_calls_the_browser(chromium, sip_gateway, network, rtp_peer, scenario):
    """Audio both ways, then the phone's BYE ends the page's call. With a delayed offer (an INVITE without
    SDP) the gateway offers in its 200 (sipp checks PCMU, PCMA, telephone-event) and the phone answers in its
    ACK, which is when the page hears "answered"."""
    peer = rtp_peer(hz=PEER_HZ)
    a = signed_in(chromium, sip_gateway)
    a.auto_answer()
    sipp = run_sipp(f"127.0.0.1:{network['kamailio']}", scenario, "-s", "1001", "-p", "0",
                    "-set", "rtpport", str(peer.port), "-d", "6000", background=True)
    try:
        incoming = a.wait_for("incoming")
        assert incoming["from"] == "9000"
        assert incoming.get("data") == ({"Account": "42"} if scenario == "uac_call_browser.xml" else None), incoming
        a.wait_for("answered")
        m = a.hears(PEER_HZ)
        assert heard(m, PEER_HZ), m
        phone_hears_browser(peer)
        # The SIP phone hangs up: the browser's call ends.
        ended = a.wait_for("ended", timeout=15)
        assert ended["cause"] == "hangup", ended
        sipp_passed(sipp)
    finally:
        a.disconnect()
    wait_until(lambda: nothing_open(sip_gateway), 5, what="no call left at the gateway")


def test_a_delayed_offer_without_an_answer_in_the_ack(chromium, sip_gateway, network):
    """The phone's ACK forgets the answer to the gateway's offer: the gateway hangs up (BYE) and says why."""
    a = signed_in(chromium, sip_gateway)
    a.auto_answer()
    sipp = run_sipp(f"127.0.0.1:{network['kamailio']}", "uac_delayed_offer_without_answer.xml", "-s", "1001",
                    "-p", "0", background=True)
    try:
        ended = a.wait_for("ended", timeout=10)
        assert ended["cause"] == "not-acceptable" and a.event("answered") is None, ended
        sipp_passed(sipp)
    finally:
        a.disconnect()
    wait_until(lambda: nothing_open(sip_gateway), 5, what="no call left at the gateway")


def test_info_from_a_long_poll_client_becomes_sip_info(sip_gateway, network, rtp_peer, tmp_path):
    """A client of the Genesys long-poll protocol (aiortc) calls a SIP phone; its INFO-PEER and INFO-MAP
    reach the phone as SIP INFO (JSON, and a form-encoded map), each answered 200."""
    trace = str(tmp_path / "sipp.log")
    sipp = uas(network, rtp_peer(hz=PEER_HZ), trace=trace)
    asyncio.run(long_poll_call_with_info(sip_gateway))
    sipp_passed(sipp)
    infos = [m for m in open(trace).read().split("-----") if "INFO sip:" in m and "received" in m]
    assert len(infos) == 2, infos
    assert "Content-Type: application/json" in infos[0] and '{"note":"hello"}' in infos[0], infos[0]
    assert "Content-Type: application/x-www-form-urlencoded" in infos[1] and "a=1&b=x+y" in infos[1], infos[1]
    wait_until(lambda: nothing_open(sip_gateway), 5, what="no call left at the gateway")


async def long_poll_call_with_info(gateway):
    lp = LongPoll(gateway)
    loop = asyncio.get_running_loop()
    call = lambda f, *a: loop.run_in_executor(None, f, *a)
    await call(lp.sign_in, "1001", USERS["1001"])
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone(440))
    await offer_and_answer(lp, pc, "9000")      # the ANSWER comes once the phone has answered
    await call(lp.send, "9000", 'INFO-PEER {"note":"hello"}')
    await call(lp.send, "9000", 'INFO-MAP {"a":1,"b":"x y"}')
    await call(lp.send, "9000", "BYE")
    await pc.close()
    await call(lp.request, "GET", f"/sign_out?id={lp.id}")


def test_transcoding_opus_browser_to_pcma_phone(chromium, sip_gateway, network, rtp_peer):
    peer = rtp_peer(hz=PEER_HZ, codec="PCMA")
    sipp = uas(network, peer)
    a = signed_in(chromium, sip_gateway)
    try:
        a.call("9000", ["opus"])
        a.wait_for("answered")
        phone_hears_browser(peer, pt=8, timeout=6)          # A-law
        m = a.hears(PEER_HZ)
        assert heard(m, PEER_HZ), m
        assert "browser leg" in sip_gateway.logs() and " opus" in sip_gateway.logs()
        a.hangup()
        sipp_passed(sipp)
    finally:
        a.disconnect()


def test_the_sip_phone_hangs_up(chromium, sip_gateway, network, rtp_peer):
    peer = rtp_peer(hz=PEER_HZ)
    sipp = uas(network, peer, "uas_answer_then_bye.xml", "-d", "2000")
    a = signed_in(chromium, sip_gateway)
    try:
        a.call("9000")
        a.wait_for("answered")
        ended = a.wait_for("ended", timeout=2 + 2)   # the phone hangs up 2 s after answering
        assert ended["cause"] == "hangup", ended
        sipp_passed(sipp)
    finally:
        a.disconnect()
    wait_until(lambda: nothing_open(sip_gateway), 5, what="no call left at the gateway")


def test_failures(chromium, sip_gateway, network, start_gateway):
    a = Phone(chromium, sip_gateway)
    assert a.connect("1001", "not-the-password")["code"] == "wrong-password"
    a = signed_in(chromium, sip_gateway)
    a.call("4711")                                # kamailio knows no such user: 404
    assert a.wait_for("failed")["code"] == "not-found"
    busy = run_sipp(None, "uas_busy.xml", "-p", str(network["trunk"]), background=True)
    a.driver.execute_script("window.phone.events.length = 0")
    a.call("9000")
    assert a.wait_for("failed")["code"] == "busy"
    sipp_passed(busy)
    a.disconnect()
    wait_until(lambda: nothing_open(sip_gateway), 5, what="no call left at the gateway")
    # A gateway whose SIP server is down: sign-in fails with a clear code, in bounded time.
    for server in (f"127.0.0.1:{free_port()}", f"tcp:127.0.0.1:{free_port()}"):   # no answer; no connection
        down = start_gateway("--sip-server", server, "--sip-domain", DOMAIN)
        b = Phone(chromium, down)
        assert b.connect("1001", USERS["1001"])["code"] == "server-unreachable"


def test_two_browsers_call_each_other_through_kamailio(chromium, chromium_b, sip_gateway):
    a, b = signed_in(chromium, sip_gateway, "1001"), signed_in(chromium_b, sip_gateway, "1002")
    b.auto_answer()
    log_before = len(sip_gateway.logs())
    try:
        a.call("1002")
        a.wait_for("answered")
        b.wait_for("answered")
        hear_each_other(a, b)
        logs = sip_gateway.logs()[log_before:]
        # Two SIP calls: the caller's INVITE out to kamailio, and kamailio's INVITE back in for 1002.
        assert "1001 calls 1002, SIP call" in logs and "rings 1002" in logs, logs[-3000:]
        assert "media: relay" in logs, logs[-3000:]      # G.711 on both legs of both calls: no transcoding
        a.hangup()
        assert b.wait_for("ended", timeout=2)["cause"] == "hangup"
    finally:
        a.disconnect()
        b.disconnect()
    wait_until(lambda: nothing_open(sip_gateway), 5, what="no call left at the gateway")


def test_early_media_then_hold_and_resume_from_the_sip_side(chromium, sip_gateway, network, rtp_peer):
    peer = rtp_peer(hz=PEER_HZ)
    sipp = uas(network, peer, "uas_early_media_hold.xml", "-d", "4000")   # 183 with SDP, the 200 four seconds later
    a = signed_in(chromium, sip_gateway)
    try:
        a.call("9000")
        progress = a.wait_for("progress")
        assert progress["code"] == 183 and progress["earlyMedia"], progress
        m = a.hears(PEER_HZ, seconds=3)
        assert heard(m, PEER_HZ) and a.event("answered") is None, m     # heard before the answer
        a.wait_for("answered", timeout=5)
        assert a.wait_for("held")["by"] == "remote"       # the phone's re-INVITE with sendonly (answered recvonly)
        assert a.wait_for("resumed")["by"] == "remote"
        a.hangup()
        sipp_passed(sipp)                     # its checks of our answers' directions passed
    finally:
        a.disconnect()
    wait_until(lambda: nothing_open(sip_gateway), 5, what="no call left at the gateway")


def test_dtmf_as_sip_info_both_ways(chromium, network, rtp_peer, start_gateway):
    gw = start_gateway("--sip-server", f"127.0.0.1:{network['kamailio']}", "--sip-domain", DOMAIN, "--dtmf-info")
    peer = rtp_peer(hz=PEER_HZ)
    a = signed_in(chromium, gw)
    a.auto_answer()
    sipp = run_sipp(f"127.0.0.1:{network['kamailio']}", "uac_call_browser_dtmf.xml", "-s", "1001", "-p", "0",
                    "-set", "rtpport", str(peer.port), "-d", "1000", background=True)
    try:
        assert a.wait_for("dtmf")["digit"] == "7"        # the phone's INFO reached the page
        a.dtmf("5")                                      # and the page's digit goes back as INFO (and RFC 4733)
        sipp_passed(sipp)
        wait_until(lambda: "5" in peer.digits(), 5, what="the digit as RFC 4733 too")
    finally:
        a.disconnect()


def test_a_vanished_browser_is_hung_up_when_its_ice_consent_expires(network, rtp_peer, start_gateway):
    """A WebRTC client killed mid-call (no BYE, no sign-out; its long-poll session outlives the test):
    the gateway's ICE consent check ends the call, and the SIP phone gets a BYE."""
    gw = start_gateway("--sip-server", f"127.0.0.1:{network['kamailio']}", "--sip-domain", DOMAIN, "--poll-expiry", "300")
    peer = rtp_peer(hz=PEER_HZ)
    sipp = uas(network, peer)
    client = subprocess.Popen([sys.executable, os.path.join(HERE, "genesys_caller.py"), "--port", str(gw.port),
                               "--user", "1001", "--password", USERS["1001"], "--to", "9000"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=HERE)
    try:
        assert client.stdout.readline().strip() == "answered"
        wait_until(lambda: peer.tone()[1] > -40, 5, what="the client's audio at the SIP phone")
        client.kill()
        sipp_passed(sipp, timeout=45)    # consent expires 30 s after the last check: the phone got its BYE
        assert "ICE consent expired" in gw.logs()
        wait_until(lambda: nothing_open(gw), 5, what="no call left at the gateway")
    finally:
        if client.poll() is None:
            client.kill()


def test_sign_in_with_an_account_from_the_configuration(chromium, network, start_gateway):
    """--register accounts are the gateway's: a browser signs in with the configured password and shares
    the registration, which stays when the browser signs out."""
    gw = start_gateway("--sip-server", f"127.0.0.1:{network['kamailio']}", "--sip-domain", DOMAIN,
                       "--register", f"1002:{USERS['1002']}")
    registered = lambda: gw.sip_status()["registrations"].get("1002", "").startswith("registered")
    wait_until(registered, 10, what="the configured account's registration")
    a = Phone(chromium, gw)
    assert a.connect("1002", "not-it")["code"] == "wrong-password"
    assert a.connect("1002", USERS["1002"]) == {"ok": True}
    a.disconnect()
    wait_until(lambda: nothing_open(gw) and status(gw)["gateway"]["signedIn"] == 0, 5, what="the sign-out")
    assert registered()


def test_sdes_srtp_on_the_sip_leg(chromium, network, rtp_peer, start_gateway, tmp_path):
    """--sip-srtp: the gateway offers RTP/SAVP with a=crypto; the phone answers with its own key, and the
    media both ways is SRTP that libsrtp (in the test's RTP peer) encrypts and authenticates."""
    import base64
    import re
    gw = start_gateway("--sip-server", f"127.0.0.1:{network['kamailio']}", "--sip-domain", DOMAIN, "--sip-srtp")
    peer = rtp_peer(hz=PEER_HZ, srtp=True)
    with open(os.path.join(HERE, "sipp", "uas_answer.xml")) as f:
        scenario = f.read().replace('"rtpport,pt,codec"', '"rtpport,pt,codec,key"').replace(
            "RTP/AVP [$pt] 101", "RTP/SAVP [$pt] 101").replace(
            "a=rtpmap:[$pt] [$codec]/8000", "a=rtpmap:[$pt] [$codec]/8000\n      a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[$key]")
    (tmp_path / "uas_answer_srtp.xml").write_text(scenario)
    trace = str(tmp_path / "sipp.log")
    sipp = run_sipp(None, str(tmp_path / "uas_answer_srtp.xml"), "-p", str(network["trunk"]), "-set", "rtpport",
                    str(peer.port), "-set", "pt", "0", "-set", "codec", "PCMU", "-set", "key",
                    base64.b64encode(peer.key).decode(), "-trace_msg", "-message_file", trace, background=True)
    a = signed_in(chromium, gw)
    try:
        a.call("9000")
        a.wait_for("answered")
        invite = open(trace).read()
        assert "m=audio" in invite and "RTP/SAVP" in invite, invite[-2000:]
        peer.set_remote_key(base64.b64decode(re.search(r"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]+)",
                                                       invite).group(1)))
        phone_hears_browser(peer)
        m = a.hears(PEER_HZ)
        assert heard(m, PEER_HZ), m                      # the phone's SRTP, decrypted by the gateway
        a.hangup()
        sipp_passed(sipp)
    finally:
        a.disconnect()


def test_a_lost_registration_is_told_to_the_browser(chromium, start_gateway):
    port = free_port()
    registrar = run_sipp(None, "uas_register_then_refuse.xml", "-p", str(port), background=True)
    gw = start_gateway("--sip-probe", "0", "--sip-server", f"127.0.0.1:{port}", "--sip-domain", DOMAIN,
                       "--register-expires", "20")
    a = Phone(chromium, gw)
    try:
        assert a.connect("1001", "x") == {"ok": True}
        lost = a.wait_for("registrationlost", timeout=5)   # the refresh, due a second after a 2 s grant, got 403
        assert lost["code"] == 403, lost
        sipp_passed(registrar)
    finally:
        a.disconnect()


@pytest.mark.parametrize("scenario", ["uac_call_browser.xml", "uac_call_browser_delayed_offer.xml"],
                         ids=["offer", "delayed-offer"])
def test_a_sip_phone_calls_a_long_poll_client(sip_gateway, network, rtp_peer, scenario):
    """As the Genesys client reads an incoming call: with the phone's offer, the gateway offers to it (`SDP` and
    OFFER, ICE-lite and DTLS actpass, the INVITE's X-Genesys- data as `attacheddata`), its ANSWER answers the
    call and gets the gateway's OK; without (a delayed offer), it is told INVITE and offers. Audio both ways by
    content, then the phone's BYE."""
    peer = rtp_peer(hz=PEER_HZ)
    sipp = run_sipp(f"127.0.0.1:{network['kamailio']}", scenario, "-s", "1001", "-p", "0",
                    "-set", "rtpport", str(peer.port), "-d", "6000", background=True)
    try:
        asyncio.run(long_poll_client_answers(sip_gateway, offered=scenario == "uac_call_browser.xml"))
        phone_hears_browser(peer)
        sipp_passed(sipp)
    finally:
        if sipp.poll() is None:
            sipp.kill()
    wait_until(lambda: nothing_open(sip_gateway), 5, what="no call left at the gateway")


async def long_poll_client_answers(gateway, offered):
    loop = asyncio.get_running_loop()
    call = lambda f, *a: loop.run_in_executor(None, f, *a)
    lp = LongPoll(gateway)
    await call(lp.sign_in, "1001", USERS["1001"])
    pc, received, rate = tone_peer(BROWSER_TONE_HZ)
    try:
        peer, word, offer, _ = await call(lp.wait)
        if not offered:
            assert (peer, word) == ("9000", "INVITE"), (peer, word, offer)
            await offer_and_answer(lp, pc, "9000")
        else:
            assert (peer, word, offer["messageType"], offer["seq"]) == ("9000", "SDP", "OFFER", 1), (peer, word, offer)
            assert offer["attacheddata"] == [{"key": "Account", "value": "42"}], offer
            assert "a=ice-lite" in offer["sdp"] and "a=setup:actpass" in offer["sdp"], offer["sdp"]
            await answer_offer(lp, pc, "9000", offer)
        await hear(received, rate, PEER_HZ)
        peer, word, _, _ = await call(lp.wait)             # the phone hangs up after its 6 s
        assert (peer, word) == ("9000", "BYE"), (peer, word)
    finally:
        await pc.close()
        await call(lp.request, "GET", f"/sign_out?id={lp.id}")
