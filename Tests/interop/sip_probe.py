"""SIP by hand over UDP, for the edge tests: one request from a chosen source address, and its answer."""
import re
import socket
import time


def code_of(response):
    m = re.match(rb"SIP/2\.0 (\d{3})", response or b"")
    return int(m.group(1)) if m else None


def request(method, uri, port, call_id, extra="", body=""):
    """A request whose Via names our socket's `port` (responses come back there)."""
    text = (f"{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{call_id}\r\n"
            f"From: <sip:probe@127.0.0.1>;tag=p{call_id}\r\nTo: <sip:gw@127.0.0.1>\r\nCall-ID: {call_id}\r\n"
            f"CSeq: 1 {method}\r\nMax-Forwards: 70\r\nContact: <sip:probe@127.0.0.1:{port}>\r\n{extra}"
            f"Content-Length: {len(body.encode())}\r\n\r\n{body}")
    return text.encode()


def exchange(sip_port, build, source="127.0.0.1", timeout=2.0, final=True, host="127.0.0.1"):
    """Sends build(local_port) from `source` to the gateway's SIP port; returns the first final
    response (or the first response when final=False), None when nothing comes within `timeout`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.sendto(build(s.getsockname()[1]), (host, sip_port))
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            s.settimeout(left)
            try:
                data = s.recv(65535)
            except socket.timeout:
                return None
            if not final or (code_of(data) or 0) >= 200:
                return data
    return None


def options(sip_port, source="127.0.0.1", timeout=2.0, call_id="probe"):
    """The status code of an OPTIONS to the gateway, or None without an answer."""
    return code_of(exchange(sip_port, lambda p: request("OPTIONS", f"sip:127.0.0.1:{sip_port}", p, call_id),
                            source=source, timeout=timeout))
