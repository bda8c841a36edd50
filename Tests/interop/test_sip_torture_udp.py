"""RFC 4475's torture messages sent over UDP to the gateway's SIP port (its
embedded registrar answers REGISTER): each answered or dropped as the RFC
says (Tests/data/rfc4475/manifest.json), and the gateway still up after all."""
import json
import os
import re
import socket
import time

from conftest import ROOT, wait_until

TORTURE = os.path.join(ROOT, "Tests", "data", "rfc4475")


def manifest():
    with open(os.path.join(TORTURE, "manifest.json")) as f:
        return json.load(f)["messages"]


def code_of(response):
    m = re.match(rb"SIP/2\.0 (\d{3})", response)
    return int(m.group(1)) if m else None


def satisfies(codes, token):
    final = [c for c in codes if c >= 200]
    if token == "none":
        return not final
    if not final:
        return False
    c = final[0]
    if token == "final":
        return True
    if token == "error":
        return c >= 400
    if token == "wellformed":
        return c not in (400, 500, 505)
    if token == "wellformed!483":
        return c not in (400, 483, 500, 505)
    if token.endswith("xx"):
        return c // 100 == int(token[0])
    return c == int(token)


def test_torture_messages_over_udp(start_gateway):
    assert os.path.isdir(TORTURE), "Tests/data/rfc4475 is part of the repository"
    gw = start_gateway()
    # Responses go to the top Via's sent-by port on the source address (the
    # torture messages say 5060, once 5050): listen there.
    listeners = []
    for port in (5060, 5050):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        s.setblocking(False)
        listeners.append(s)
    sender = listeners[0]
    failures = []
    for item in manifest():
        with open(os.path.join(TORTURE, item["file"]), "rb") as f:
            data = f.read()
        for s in listeners:  # drain
            try:
                while s.recv(65535):
                    pass
            except BlockingIOError:
                pass
        sender.sendto(data, ("127.0.0.1", gw.sip_port))
        responses = []
        deadline = time.monotonic() + (0.6 if "none" in item["expect"]["pass"] else 5.0)   # ends at the first final
        while time.monotonic() < deadline:
            for s in listeners:
                try:
                    responses.append(s.recv(65535))
                except BlockingIOError:
                    pass
            if any((code_of(r) or 0) >= 200 for r in responses) and "none" not in item["expect"]["pass"]:
                break
            time.sleep(0.01)
        # Only answers to this message count (a server retransmits earlier finals until ACKed).
        call_id = re.search(rb"(?im)^(?:call-id|i)[ \t]*:[ \t]*(\S+)", data)
        if call_id:
            responses = [r for r in responses if call_id.group(1) in r]
        codes = [c for c in map(code_of, responses) if c]
        expect = item["expect"]
        ok = any(satisfies(codes, t) for t in expect.get("pass", []) + expect.get("alt", []))
        checks = item.get("checks", {})
        final = next((r for r in responses if (code_of(r) or 0) >= 200), b"")
        if ok and "contact_uris_if_2xx" in checks and 200 <= (code_of(final) or 0) < 300:
            listed = final.decode(errors="replace").lower()
            ok = all(uri.lower() in listed for uri in checks["contact_uris_if_2xx"])
        if ok and "forbid_cseq_method_udp" in checks:
            ok = not any(re.search(rb"(?im)^CSeq:\s*\d+\s+" + checks["forbid_cseq_method_udp"].encode(), r) for r in responses)
        if not ok and item["name"] != "test":  # 'test' is survival only, not scored
            failures.append(f"{item['name']}: got {codes}, expected {expect}: {final[:600]!r}")
    for s in listeners:
        s.close()
    assert not failures, "\n".join(failures)
    # Still answering after all of them.
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    probe.settimeout(2)
    port = probe.getsockname()[1]
    probe.sendto((f"OPTIONS sip:127.0.0.1:{gw.sip_port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKprobe\r\n"
                  "From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:gw@127.0.0.1>\r\nCall-ID: probe\r\nCSeq: 1 OPTIONS\r\n"
                  "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode(), ("127.0.0.1", gw.sip_port))
    assert code_of(probe.recv(65535)) == 200
