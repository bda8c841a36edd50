"""A raw client of the long-poll transport (the Genesys wire protocol), for tests."""
import asyncio
import http.client
import json
import urllib.parse

from aiortc import RTCSessionDescription


class LongPoll:
    """A raw long-poll client: the wire protocol by hand. It sends back the GWINSTANCE cookie as a browser does
    (a load balancer keeps its session on one instance by it), from `source` when given (an address of its own)."""

    def __init__(self, gateway, origin=None, source=None):
        self.port = gateway.port
        self.host = getattr(gateway, "host", "127.0.0.1")
        self.origin = origin
        self.source = source
        self.cookie = None
        self.json_dialect = False

    def request(self, method, path, body=None, timeout=30):
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout,
                                       source_address=(self.source, 0) if self.source else None)
        headers = {"Origin": self.origin} if self.origin else {}
        if self.cookie:
            headers["Cookie"] = self.cookie
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        out = (r.status, r.headers, r.read().decode())     # names case-insensitive (a proxy may lower them)
        c.close()
        if out[1].get("Set-Cookie", "").startswith("GWINSTANCE="):
            self.cookie = out[1]["Set-Cookie"].split(";")[0]
        return out

    def sign_in(self, user, password=None, json_dialect=False):
        self.json_dialect = json_dialect
        q = "?json" if json_dialect else ""
        status_, headers, body = (self.request("POST", "/sign_in" + q, f"{user}:{password}") if password is not None
                                  else self.request("GET", f"/sign_in?{user}"))
        assert status_ == 200, (status_, body)
        lines = dict(line.split("=", 1) for line in body.splitlines() if "=" in line)
        assert body.splitlines()[0].split("=", 1)[1] == lines["id"]     # the first value is the server-side id
        assert "GWINSTANCE=" in headers.get("Set-Cookie", "")
        self.id = lines["id"]
        return headers

    def send(self, peer, message):
        s, _, body = self.request("POST", f"/message?from={self.id}&to={urllib.parse.quote(peer)}", message)
        assert s == 200, (s, body)

    def wait(self, ack=None):
        """The next message (not an empty answer): (peer, word, its JSON object or its text, seq). A Genesys
        client takes any status but 200 as the end of its session: nothing to say is an empty 200 for it
        (a 204 for this gateway's own library)."""
        while True:
            q = f"&ack={ack}" if ack is not None else ""
            s, headers, body = self.request("GET", f"/wait?id={self.id}{q}", timeout=70)
            if s == 204 and self.json_dialect or s == 200 and not body:
                continue
            assert s == 200, (s, body)
            word, _, rest = body.partition(" ")
            return headers.get("Pragma"), word, json.loads(rest) if rest.startswith("{") else rest, headers.get("X-Seq")


async def offer_and_answer(lp, pc, peer):
    """`pc` offers to `peer` as a Genesys client does (RSMP OFFER, its candidates in the SDP, not trickled)
    and takes the gateway's RSMP ANSWER."""
    loop = asyncio.get_running_loop()
    await pc.setLocalDescription(await pc.createOffer())
    offer = {"messageType": "OFFER", "sdp": pc.localDescription.sdp, "Candidates": []}
    await loop.run_in_executor(None, lp.send, peer, "RSMP " + json.dumps(offer))
    from_, word, body, _ = await loop.run_in_executor(None, lp.wait)
    assert (from_, word, body and body["messageType"]) == (peer, "RSMP", "ANSWER"), (from_, word, body)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="answer"))


async def answer_offer(lp, pc, peer, offer, answerer="501"):
    """`pc` answers the gateway's `SDP` OFFER from `peer` as a Genesys client does (RSMP ANSWER, the ROAP ids
    echoed, its candidates in the SDP) and takes the gateway's RSMP OK once the call is up."""
    loop = asyncio.get_running_loop()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    answer = {"messageType": "ANSWER", "offererSessionId": offer["offererSessionId"], "answererSessionId": answerer,
              "seq": offer["seq"], "sdp": pc.localDescription.sdp, "Candidates": []}
    await loop.run_in_executor(None, lp.send, peer, "RSMP " + json.dumps(answer))
    from_, word, ok, _ = await loop.run_in_executor(None, lp.wait)
    assert (from_, word, ok["messageType"], ok["answererSessionId"]) == (peer, "RSMP", "OK", answerer), (from_, word, ok)
