"""SIP over TLS toward the gateway (its TLS listener, the embedded server
behind it): a TLS client (Python's OpenSSL) asks OPTIONS, registers, and is
reached on its own TLS connection when a browser calls it."""
import os
import socket
import ssl

from conftest import free_port, self_signed_cert, wait_until
from phone import Phone


def tls_gateway(start_gateway, tmp_path):
    cert, key = self_signed_cert(str(tmp_path))
    port = free_port()
    gw = start_gateway("--sip-tls-port", str(port), "--sip-tls-cert", cert, "--sip-tls-key", key)
    wait_until(lambda: f"SIP listening on tls 127.0.0.1:{port}" in gw.logs(), 10, what="the TLS listener")
    context = ssl.create_default_context(cafile=cert)    # the client checks the gateway's certificate
    return gw, port, context


def read_message(conn, buffer):
    while b"\r\n\r\n" not in buffer[0]:
        buffer[0] += conn.recv(65535)
    head, _, rest = buffer[0].partition(b"\r\n\r\n")
    length = next((int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")), 0)
    while len(rest) < length:
        rest += conn.recv(65535)
    buffer[0] = rest[length:]
    return head.decode(), rest[:length]


def request(method, uri, local, cseq, extra=""):
    return (f"{method} {uri} SIP/2.0\r\nVia: SIP/2.0/TLS {local};branch=z9hG4bK{method}{cseq}\r\nMax-Forwards: 70\r\n"
            f"From: <sip:tlsphone@127.0.0.1>;tag=tp\r\nTo: <sip:tlsphone@127.0.0.1>\r\nCall-ID: tls-{method}\r\n"
            f"CSeq: {cseq} {method}\r\n{extra}Content-Length: 0\r\n\r\n").encode()


def test_a_tls_client_registers_and_is_called_on_its_connection(start_gateway, tmp_path, chromium):
    gw, port, context = tls_gateway(start_gateway, tmp_path)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = context.wrap_socket(raw, server_hostname="127.0.0.1")
    local = "127.0.0.1:%d" % conn.getsockname()[1]
    buffer = [b""]
    conn.sendall(request("OPTIONS", f"sip:127.0.0.1:{gw.sip_port}", local, 1))
    head, _ = read_message(conn, buffer)
    assert head.startswith("SIP/2.0 200"), head
    conn.sendall(request("REGISTER", "sip:127.0.0.1", local, 2,
                         f"Contact: <sip:tlsphone@{local};transport=tls>\r\nExpires: 600\r\n"))
    head, _ = read_message(conn, buffer)
    assert head.startswith("SIP/2.0 200"), head
    # A browser calls it: the embedded proxy reaches it on its TLS connection; it answers busy.
    a = Phone(chromium, gw)
    assert a.connect("1001") == {"ok": True}
    a.call("tlsphone")
    head, _ = read_message(conn, buffer)
    assert head.startswith("INVITE sip:tlsphone@"), head
    while "100 Trying" in head or head.startswith("ACK"):
        head, _ = read_message(conn, buffer)
    lines = head.split("\r\n")
    keep = [l for l in lines[1:] if l.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
    keep = [l + ";tag=busy" if l.lower().startswith("to:") else l for l in keep]
    conn.sendall(("SIP/2.0 486 Busy Here\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n").encode())
    assert a.wait_for("failed")["code"] == "busy"
    head, _ = read_message(conn, buffer)
    assert head.startswith("ACK "), head          # the ACK of the 486 comes back on the same connection
    a.disconnect()
    conn.close()
