// webrtc-gateway client library: makes a browser a SIP endpoint through the
// gateway. An ES module with no dependency and no build step; the wire
// protocol it speaks is docs/SIGNALING.md.

/** An error with a machine-readable `code` (see docs/SIGNALING.md). */
export class GatewayError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = "GatewayError";
    this.code = code;
  }
}

let nextCallNumber = 1;

/** How long digits keyed before the media is up wait for it. */
const DTMF_WAIT_MS = 10000;

function callId() {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `c${nextCallNumber++}-${random[0].toString(36)}${random[1].toString(36)}`;
}

/**
 * The offer, sent at once: the gateway is ICE-lite, so the browser's checks
 * to the gateway's candidate are all it needs - no candidates, no trickle,
 * no wait for gathering (which takes tens of milliseconds or more).
 */
async function makeOffer(pc) {
  await pc.setLocalDescription(await pc.createOffer());
  return pc.localDescription.sdp;
}

/** JSON messages over one WebSocket (`/ws`). */
class WebSocketTransport extends EventTarget {
  constructor(server) {
    super();
    this.url = server.replace(/^http/, "ws").replace(/\/$/, "") + "/ws";
  }

  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      let opened = false;
      ws.onopen = () => { opened = true; resolve(); };
      ws.onerror = () => { if (!opened) reject(new GatewayError("server-unreachable", `cannot open ${this.url}`)); };
      ws.onclose = () => this.dispatchEvent(new Event("close"));
      ws.onmessage = (e) => {
        let message;
        try { message = JSON.parse(e.data); } catch { return; }
        this.dispatchEvent(new MessageEvent("message", { data: message }));
      };
    });
  }

  send(message) {
    if (this.ws?.readyState !== WebSocket.OPEN) throw new GatewayError("disconnected", "not connected to the gateway");
    this.ws.send(JSON.stringify(message));
  }

  close() { this.ws?.close(); }
}

/**
 * The same messages over HTTP long-poll, for networks that block WebSockets:
 * the Genesys gateway's endpoints (POST /sign_in, a hanging GET /wait,
 * POST /message, GET /sign_out) with this library's messages in the word JSON.
 */
class LongPollTransport extends EventTarget {
  constructor(server) {
    super();
    this.base = server.replace(/\/$/, "");
    this.closed = false;
    this.sending = Promise.resolve();   // one POST at a time keeps the messages in order
  }

  async open() {}   // the sign-in opens the session

  send(message) {
    if (this.closed) throw new GatewayError("disconnected", "not connected to the gateway");
    if (message.type === "sign-in") return void this._signIn(message);
    if (!this.id) throw new GatewayError("disconnected", "not signed in");
    if (message.type === "sign-out") {
      this.sending = this.sending.then(() => fetch(`${this.base}/sign_out?id=${this.id}`, { credentials: "include" })).catch(() => {});
      return;
    }
    const body = `JSON ${JSON.stringify(message)}`;
    this.sending = this.sending
      .then(() => fetch(`${this.base}/message?from=${this.id}&to=${encodeURIComponent(message.call || "")}`,
        { method: "POST", body, credentials: "include" }))
      .then((res) => { if (res.status === 404) this.close(); }, () => this.close());
  }

  _emit(message) { this.dispatchEvent(new MessageEvent("message", { data: message })); }

  static fields(text) {
    return Object.fromEntries(text.split("\n").filter((l) => l.includes("=")).map((l) => {
      const i = l.indexOf("=");
      return [l.slice(0, i), l.slice(i + 1)];
    }));
  }

  async _signIn({ user, password }) {
    let res, fields;
    try {
      res = await fetch(`${this.base}/sign_in?json`, { method: "POST", body: `${user}:${password}`, credentials: "include" });
      fields = LongPollTransport.fields(await res.text());
    } catch (e) {
      return this._emit({ type: "error", request: "sign-in", code: "server-unreachable", message: e.message });
    }
    if (!res.ok) {
      return this._emit({ type: "error", request: "sign-in", code: fields.error || "server-error", message: fields.message || `HTTP ${res.status}` });
    }
    this.id = fields.id;
    this._poll();
    this._emit({ type: "signed-in", user: fields.user, session: fields.id });
  }

  async _poll() {
    let failures = 0, ack = 0;
    while (!this.closed) {
      let res;
      try {
        res = await fetch(`${this.base}/wait?id=${this.id}&ack=${ack}`, { credentials: "include" });
      } catch {
        if (++failures > 5) break;      // the gateway is gone
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      failures = 0;
      if (res.status === 204) continue;
      if (!res.ok) break;
      let text;
      try { text = await res.text(); } catch { continue; }   // lost on the way: it comes again, unacknowledged
      ack = Number(res.headers.get("X-Seq")) || ack;
      if (text.startsWith("JSON ")) {
        try { this._emit(JSON.parse(text.slice(5))); } catch { /* not ours */ }
      }
    }
    this.close();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.dispatchEvent(new Event("close"));
  }
}

/**
 * One call. Events: "progress" (detail: code, reason, earlyMedia), "answered",
 * "ended" (event.reason, event.code, event.cause, event.quality: per leg, browser and sip, its mos, lossPercent, jitterMs, rttMs), "held" / "resumed"
 * (event.by: "local" or "remote"), "dtmf" (event.digit), "info" (event.content, event.map: a SIP INFO
 * of the far end's, JSON or form-encoded), "statechange", "track"
 * (the far end's audio track arrived in remoteStream).
 */
export class Call extends EventTarget {
  constructor(client, { id, direction, peer, fromName, data }) {
    super();
    this.client = client;
    this.id = id;
    this.direction = direction;     // "outgoing" or "incoming"
    this.peer = peer;               // the number called, or the caller
    this.from = direction === "incoming" ? peer : client.user;
    this.to = direction === "incoming" ? client.user : peer;
    this.fromName = fromName;
    this.data = data || {};         // an incoming call's attached data (its INVITE's X-Genesys- headers)
    this.state = direction === "incoming" ? "ringing" : "connecting";
    this.remoteStream = new MediaStream();
    this.held = false;
    this.timing = { createdAt: performance.now() };
    this.answered = new Promise((resolve, reject) => { this._answered = { resolve, reject }; });
    this.answered.catch(() => {});  // the caller may never await it
    this._waiters = [];
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new Event("statechange"));
  }

  async _startMedia(stream, codecs) {
    const pc = new RTCPeerConnection({ iceServers: this.client.iceServers });
    this.pc = pc;
    this.localStream = stream;
    if (stream) for (const track of stream.getAudioTracks()) pc.addTrack(track, stream);
    else pc.addTransceiver("audio", { direction: "recvonly" });
    if (codecs) {
      // Only these codecs (e.g. ["opus"] or ["PCMU"]), and telephone-event for DTMF.
      const names = codecs.map((c) => `audio/${c}`.toLowerCase()).concat("audio/telephone-event");
      const wanted = RTCRtpReceiver.getCapabilities("audio").codecs.filter((c) => names.includes(c.mimeType.toLowerCase()));
      pc.getTransceivers()[0].setCodecPreferences(wanted);
    }
    pc.ontrack = (e) => {
      this.remoteStream.addTrack(e.track);
      this.dispatchEvent(Object.assign(new Event("track"), { track: e.track }));
      e.track.addEventListener("unmute", () => { this.timing.firstAudioAt ??= performance.now(); }, { once: true });
    };
    return makeOffer(pc);
  }

  /** Answers an incoming call with `stream` (the microphone); `codecs` limits the browser's codecs. Resolves once answered. */
  async answer({ stream, codecs } = {}) {
    if (this.direction !== "incoming" || this.state !== "ringing") throw new GatewayError("bad-state", "not a ringing incoming call");
    this._setState("connecting");
    const sdp = await this._startMedia(stream, codecs);
    this.client._send({ type: "answer", call: this.id, sdp });
    return this.answered;
  }

  /** Declines an incoming call (603). */
  reject() {
    if (this.direction !== "incoming" || this.state !== "ringing") throw new GatewayError("bad-state", "not a ringing incoming call");
    this.client._send({ type: "reject", call: this.id });
    return this._waitEnded();
  }

  /** CANCEL while ringing, BYE once answered. Resolves when the call has ended. */
  hangup() {
    if (this.state === "ended") return Promise.resolve();
    if (this.direction === "outgoing" && !this._offered) {
      // Hung up before the offer went out: the gateway never heard of this call.
      this._end(0, "hung up", "hangup");
      return Promise.resolve();
    }
    this.client._send({ type: "hangup", call: this.id });
    return this._waitEnded();
  }

  /**
   * Sends DTMF: RFC 4733 in the media, and a message so the gateway can use SIP INFO where needed.
   * Digits keyed before the media can carry them (a call is "answered" before ICE and DTLS are
   * done) wait for it, up to DTMF_WAIT_MS.
   */
  sendDTMF(digits, { duration = 100, gap = 70 } = {}) {
    this._dtmf = { digits: (this._dtmf?.digits ?? "") + digits, duration, gap, since: performance.now() };
    this._flushDTMF();
    this.client._send({ type: "dtmf", call: this.id, digits });
  }

  _flushDTMF() {
    const pending = this._dtmf;
    const dtmf = this.pc?.getSenders().find((s) => s.dtmf)?.dtmf;
    if (!pending || !dtmf || this.state === "ended") return;
    if (dtmf.canInsertDTMF) {
      // insertDTMF replaces the digits still to be played: keep them in front.
      dtmf.insertDTMF(dtmf.toneBuffer + pending.digits, pending.duration, pending.gap);
      this._dtmf = null;
    } else if (performance.now() - pending.since < DTMF_WAIT_MS) {
      // The browser tells no event when its sender becomes able (its RTP transport writable).
      clearTimeout(this._dtmfRetry);
      this._dtmfRetry = setTimeout(() => this._flushDTMF(), 20);
    } else {
      this._dtmf = null;
    }
  }

  /** Sends `content` (an object) to the far end as SIP INFO: JSON, or with `map` its pairs form-encoded. */
  sendInfo(content, { map = false } = {}) {
    this.client._send({ type: "info", call: this.id, content, map });
  }

  /** Puts the far end on hold (a re-INVITE with sendonly). */
  hold() { return this._hold(true); }

  /** Takes the far end off hold (a re-INVITE with sendrecv). */
  resume() { return this._hold(false); }

  _hold(hold) {
    if (this.state !== "answered") return Promise.reject(new GatewayError("bad-state", "the call is not answered"));
    return new Promise((resolve, reject) => {
      this._waiters.push({ event: hold ? "held" : "resumed", resolve, reject, request: hold ? "hold" : "resume" });
      this.client._send({ type: hold ? "hold" : "resume", call: this.id });
    }).then(() => {
      for (const t of this.localStream?.getAudioTracks() || []) t.enabled = !hold;
    });
  }

  _waitEnded() {
    return new Promise((resolve) => {
      if (this.state === "ended") return resolve();
      this.addEventListener("ended", () => resolve(), { once: true });
    });
  }

  /** The RTCPeerConnection's statistics. */
  getStats() { return this.pc ? this.pc.getStats() : Promise.resolve(new Map()); }

  _handle(m) {
    switch (m.type) {
      case "sdp":
        this.pc?.setRemoteDescription({ type: "answer", sdp: m.sdp }).catch((e) => this._end(0, e.message, "media-failed"));
        break;
      case "progress":
        this._setState(m.earlyMedia ? "early" : "ringing");
        this.dispatchEvent(Object.assign(new Event("progress"), { code: m.code, reason: m.reason, earlyMedia: m.earlyMedia }));
        break;
      case "answered":
        this.timing.answeredAt = performance.now();
        this._setState("answered");
        this._answered.resolve(this);
        this.dispatchEvent(new Event("answered"));
        break;
      case "held":
      case "resumed":
        if (m.by === "local") this.held = m.type === "held";
        this._settle(m.type);
        this.dispatchEvent(Object.assign(new Event(m.type), { by: m.by }));
        break;
      case "dtmf":
        this.dispatchEvent(Object.assign(new Event("dtmf"), { digit: m.digit }));
        break;
      case "info":
        this.dispatchEvent(Object.assign(new Event("info"), { content: m.content, map: m.map }));
        break;
      case "error":
        if (this._settle(null, m)) break;
        if (["bad-sdp", "bad-number", "no-media-port", "too-many-calls", "no-such-call", "draining"].includes(m.code)) {
          this._end(0, m.message, m.code);   // the gateway has no such call (any more): it is over here too
        }
        break;
      case "ended":
        this._end(m.code, m.reason, m.cause, m.quality);
        break;
    }
  }

  /** Resolves (or with an error, rejects) the oldest hold/resume waiting. */
  _settle(event, error) {
    const i = this._waiters.findIndex((w) => (error ? w.request === error.request : w.event === event));
    if (i < 0) return false;
    const [w] = this._waiters.splice(i, 1);
    if (error) w.reject(new GatewayError(error.code, error.message)); else w.resolve();
    return true;
  }

  _end(code, reason, cause, quality) {
    if (this.state === "ended") return;
    this._setState("ended");
    this.pc?.close();
    this.client.calls.delete(this.id);
    this._answered.reject(new GatewayError(cause || "failed", reason || `call ended (${code})`));
    for (const w of this._waiters.splice(0)) w.reject(new GatewayError("ended", "the call ended"));
    this.dispatchEvent(Object.assign(new Event("ended"), { code, reason, cause, quality }));
  }
}

/**
 * A browser's connection to the gateway: signs in as a SIP user, places and
 * receives calls. Events: "incomingcall" (event.call), "registrationlost"
 * (event.code, event.reason), "disconnected".
 */
export class GatewayClient extends EventTarget {
  constructor({ server = location.origin, transport = "websocket", iceServers = [] } = {}) {
    super();
    if (!["websocket", "long-poll"].includes(transport)) throw new GatewayError("bad-transport", `unknown transport ${transport}`);
    this.server = server;
    this.transportName = transport;
    this.iceServers = iceServers;
    this.calls = new Map();
    this.connected = false;
  }

  /** Signs in and registers `user` on the SIP server. Rejects with a GatewayError (.code) saying why. */
  async connect({ user, password }) {
    if (this.connected) throw new GatewayError("bad-state", "already connected");
    const transport = this.transportName === "websocket" ? new WebSocketTransport(this.server) : new LongPollTransport(this.server);
    await transport.open();
    this.transport = transport;
    const signedIn = new Promise((resolve, reject) => {
      this._signIn = { resolve, reject };
      transport.addEventListener("close", () => reject(new GatewayError("disconnected", "the gateway closed the connection")), { once: true });
    });
    transport.addEventListener("message", (e) => this._handle(e.data));
    transport.addEventListener("close", () => this._closed());
    this._send({ type: "sign-in", user, password });
    try {
      const m = await signedIn;
      this.user = m.user;
      this.session = m.session;
      this.connected = true;
      this._keepAlive = setInterval(() => this._send({ type: "ping" }), 25000);
      return this;
    } catch (e) {
      transport.close();
      throw e;
    } finally {
      this._signIn = null;
    }
  }

  /** Calls `number`; returns the Call at once (await call.answered). `codecs` limits the browser's codecs (e.g. ["opus"]). */
  call(number, { stream, codecs } = {}) {
    if (!this.connected) throw new GatewayError("disconnected", "connect first");
    const call = new Call(this, { id: callId(), direction: "outgoing", peer: String(number) });
    this.calls.set(call.id, call);
    call._startMedia(stream, codecs).then(
      (sdp) => {
        if (call.state === "ended") return;
        call._offered = true;
        this._send({ type: "call", call: call.id, to: String(number), sdp });
      },
      (e) => call._end(0, e.message, "media-failed"));
    return call;
  }

  /** Hangs up every call, unregisters, and closes the transport. */
  async disconnect() {
    if (!this.transport) return;
    await Promise.all([...this.calls.values()].map((c) => c.hangup().catch(() => {})));
    try { this._send({ type: "sign-out" }); } catch { /* already gone */ }
    this.transport.close();
    this._closed();
  }

  _send(message) { this.transport.send(message); }

  _handle(m) {
    if (m.call) {
      let call = this.calls.get(m.call);
      if (!call && m.type === "incoming") {
        call = new Call(this, { id: m.call, direction: "incoming", peer: m.from, fromName: m.fromName, data: m.data });
        this.calls.set(call.id, call);
        this.dispatchEvent(Object.assign(new Event("incomingcall"), { call }));
        return;
      }
      call?._handle(m);
      return;
    }
    switch (m.type) {
      case "signed-in":
        this._signIn?.resolve(m);
        break;
      case "error":
        if (m.request === "sign-in") this._signIn?.reject(new GatewayError(m.code, m.message));
        else this.dispatchEvent(Object.assign(new Event("error"), { code: m.code, message: m.message }));
        break;
      case "registration":
        this.dispatchEvent(Object.assign(new Event("registrationlost"), { code: m.code, reason: m.reason }));
        break;
    }
  }

  _closed() {
    if (!this.transport) return;
    clearInterval(this._keepAlive);
    this.transport = null;
    this.connected = false;
    for (const call of this.calls.values()) call._end(0, "disconnected from the gateway", "disconnected");
    this.dispatchEvent(new Event("disconnected"));
  }
}
