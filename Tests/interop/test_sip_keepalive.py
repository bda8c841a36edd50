"""The user agent's keep-alive toward its SIP server (RFC 5626 §4.4.1 double
CRLF), seen on the server's socket while a registration is up."""
import socket

from conftest import wait_until


def test_registered_user_agent_pings_its_server(start_gateway):
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)
    port = server.getsockname()[1]
    start_gateway("--sip-probe", "0", "--sip-server", f"127.0.0.1:{port}", "--sip-domain", "example.com", "--register", "1001:x",
                  "--sip-keepalive", "1")
    register, source = server.recvfrom(65535)
    assert register.startswith(b"REGISTER ")
    head = register.split(b"\r\n\r\n")[0].decode().split("\r\n")
    keep = [l for l in head[1:] if l.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
    to = next(i for i, l in enumerate(keep) if l.lower().startswith("to:"))
    keep[to] += ";tag=srv"
    server.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContact: " +
                   next(l.split(":", 1)[1].strip() for l in head if l.lower().startswith("contact:")) +
                   ";expires=3600\r\nContent-Length: 0\r\n\r\n").encode(), source)
    pings = []

    def pinged():
        data, _ = server.recvfrom(65535)
        pings.append(data)
        return data == b"\r\n\r\n"
    wait_until(pinged, 5, interval=0, what="a CRLF CRLF keep-alive")
    server.close()
