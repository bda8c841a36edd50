"""A long-poll (Genesys protocol) client with aiortc media, run as a script so
that a test can kill it abruptly: signs in, calls a number, prints
"answered" once the call is up, then keeps the call until killed."""
import argparse
import asyncio
import http.client
import json
import sys

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from aiortc_peer import Tone

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def request(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body)
    r = c.getresponse()
    return r.status, r.read().decode()


def next_message(port, ssid):
    while True:
        status, body = request(port, "GET", f"/wait?id={ssid}")
        if status == 200 and body:     # an empty 200: the gateway held the GET with nothing to say
            return body


async def main(args):
    loop = asyncio.get_running_loop()
    status, body = await loop.run_in_executor(None, request, args.port, "POST", "/sign_in", f"{args.user}:{args.password}")
    assert status == 200, body
    ssid = body.splitlines()[0].split("=", 1)[1]
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone(args.tone))
    await pc.setLocalDescription(await pc.createOffer())
    offer = json.dumps({"messageType": "OFFER", "sdp": pc.localDescription.sdp, "Candidates": []})
    await loop.run_in_executor(None, request, args.port, "POST", f"/message?from={ssid}&to={args.to}", "RSMP " + offer)
    while True:
        message = await loop.run_in_executor(None, next_message, args.port, ssid)
        if message.startswith("RSMP") and json.loads(message[5:]).get("messageType") == "ANSWER":
            answer = json.loads(message[5:])
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
            print("answered", flush=True)      # the ANSWER comes once the far end has answered
        elif message.startswith("RSMP"):      # an error: ERROR and errorType inside the JSON
            print(message, flush=True)
            return
        elif message.startswith("BYE"):
            print(message, flush=True)
            return


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--tone", type=int, default=440)
    asyncio.run(main(p.parse_args()))
    sys.exit(0)
