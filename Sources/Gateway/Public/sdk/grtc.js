/*
 * grtc.js - the Genesys WebRTC JavaScript API (Grtc.Client, Grtc.MediaSession)
 * on this gateway, written on today's browser APIs (fetch, promises,
 * RTCPeerConnection with transceivers), without jQuery. An app written for
 * the Genesys client library swaps its script tag for this one and keeps its
 * code. It speaks the gateway's long-poll protocol (docs/SIGNALING.md) the
 * way the Genesys library does; docs/GRTC.md maps the API and says what is
 * not supported.
 */
(function (window) {
  "use strict";

  const Grtc = {};
  Grtc.CONFIGURATION_ERROR = "CONFIGURATION_ERROR";
  Grtc.CONNECTION_ERROR = "CONNECTION_ERROR";
  Grtc.WEBRTC_NOT_SUPPORTED_ERROR = "WEBRTC_NOT_SUPPORTED_ERROR";
  Grtc.WEBRTC_ERROR = "WEBRTC_ERROR";
  Grtc.INVALID_STATE_ERROR = "INVALID_STATE_ERROR";
  Grtc.NOT_READY_ERROR = "NOT_READY_ERROR";
  Grtc.GRTC_ERROR = "ERROR";
  Grtc.GRTC_WARN = "WARNING";

  Grtc.Error = function (name, message) {
    this.name = name === undefined ? Grtc.GRTC_ERROR : name;
    this.message = message || "";
  };

  Grtc.isWebrtcSupported = () => typeof window.RTCPeerConnection === "function";
  Grtc.getWebrtcDetectedBrowser = () => (/Firefox\//.test(navigator.userAgent) ? "firefox" : "chrome");
  Grtc.getWebrtcDetectedVersion = () => {
    const m = navigator.userAgent.match(/(?:Chrome|Chromium|Firefox)\/(\d+)/);
    return m ? parseInt(m[1], 10) : null;
  };
  Grtc.getWebrtcMinimumVersion = () => 0;

  /** `a=1&b=x+y` into `{a: "1", b: "x y"}` (the gateway form-encodes INFO data). */
  Grtc.deparam = function (query) {
    const params = {};
    for (const pair of String(query).replace(/\n/g, "").split("&")) {
      const at = pair.indexOf("=");
      if (at <= 0) continue;
      const decode = (s) => { try { return decodeURIComponent(s.replace(/\+/g, " ")); } catch (e) { return s; } };
      params[decode(pair.slice(0, at))] = decode(pair.slice(at + 1));
    }
    return params;
  };

  /** `{a: 1, b: "x y"}` form-encoded as jQuery's `$.param` does it. */
  function param(data) {
    const encode = (s) => encodeURIComponent(String(s)).replace(/%20/g, "+");
    return Object.keys(data).map((k) => encode(k) + "=" + encode(data[k] === null || data[k] === undefined ? "" : data[k])).join("&");
  }

  Grtc.VideoConstraints = {
    qvga: () => ({ width: { max: 320 }, height: { max: 180 } }),
    vga: () => ({ width: { max: 640 }, height: { max: 360 } }),
    hd: () => ({ width: { max: 1280 }, height: { max: 720 } }),
    custom: (width, height) => ({ width: { max: width }, height: { max: height } }),
  };

  Grtc.Logger = function (element) { this.element = element && element.nodeType ? element : null; };
  Grtc.Logger.prototype.log = function (message, exception) {
    const line = "grtc: " + (performance.now() / 1000).toFixed(3) + ": " + message + (exception && exception.message ? ": " + exception.message : "");
    if (this.element) this.element.innerHTML += line + "<br/>";
    else if (externalLogger) externalLogger.info(line);
    else console.log(line);
  };
  let logger = new Grtc.Logger();
  let externalLogger = null;
  Grtc.setLogger = (l) => { if (l instanceof Grtc.Logger) logger = l; };
  Grtc.setExternalLogger = (l) => { if (l && typeof l.info === "function") externalLogger = l; };

  /** A callback list as the Genesys API has them (jQuery "unique stopOnFalse"): add, remove, has, empty, fire. */
  function Callbacks() {
    const list = [];
    return {
      add(...fns) { for (const fn of fns.flat()) if (typeof fn === "function" && !list.includes(fn)) list.push(fn); return this; },
      remove(...fns) { for (const fn of fns) { const i = list.indexOf(fn); if (i >= 0) list.splice(i, 1); } return this; },
      has(fn) { return fn ? list.includes(fn) : list.length > 0; },
      empty() { list.length = 0; return this; },
      fire(...args) {
        for (const fn of list.slice()) {
          try { if (fn.apply(this, args) === false) break; } catch (e) { logger.log(Grtc.GRTC_ERROR + ": a callback failed", e); }
        }
        return this;
      },
    };
  }

  const IDLE = 0, ACCEPTED = 1, STARTED = 2, CONNECTED = 3;
  const PARAMETERS = ["webrtc_gateway", "stun_server", "turn_server", "turn_username", "turn_password", "sip_username",
    "sip_password", "dtls_srtp", "enable_ipv6", "noanswer_timeout", "ice_timeout", "ice_optimization", "polling_timeout"];
  const CLIENT_EVENTS = ["onConnect", "onRegister", "onFailed", "onDisconnect", "onConnectionError", "onMediaSuccess",
    "onMediaFailure", "onIncomingCall", "onCallEvent", "onNotifyEvent", "onPeerClosing", "onPeerNoanswer", "onInfoFromPeer",
    "onStatsFromServer", "onGatewayError", "onWebrtcError"];

  function anonymousId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return "anon" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function numberAtLeast(value, minimum, fallback, zeroAllowed) {
    const n = parseInt(value, 10);
    return Number.isFinite(n) && (n >= minimum || (zeroAllowed && n === 0)) ? n : fallback;
  }

  // -------------------- Grtc.Client --------------------

  Grtc.Client = function (configuration) {
    const ok = configuration && typeof configuration === "object" && "webrtc_gateway" in configuration &&
      (!("turn_server" in configuration) || ("turn_username" in configuration && "turn_password" in configuration)) &&
      Object.keys(configuration).every((k) => PARAMETERS.includes(k));
    if (!ok) throw new Grtc.Error(Grtc.CONFIGURATION_ERROR, "configuration object is not well formed");
    this.configuration = configuration;
    this.logLevel = 2;
    this.localStream = null;
    this.publicId = anonymousId();
    this.registeredSSID = -1;
    this.mediaSession = null;
    this.callState = IDLE;
    this.pcCaller = null;
    this.incomingMsg = null;     // the gateway's offer of an incoming call, answered by acceptCall
    this.onHold = false;
    this.audioConstraints = true;
    this.videoConstraints = true;
    this.noansTimeout = numberAtLeast(configuration.noanswer_timeout, 18000, 60000);
    this.iceGatheringTimeout = numberAtLeast(configuration.ice_timeout, 1000, 1000);
    this.pollingTimeout = numberAtLeast(configuration.polling_timeout, 10000, 30000, true);
    for (const name of CLIENT_EVENTS) this[name] = Callbacks();
  };

  const Client = Grtc.Client.prototype;

  Client.setLogLevel = function (level) { if (Number.isInteger(level) && level >= 0 && level <= 4) this.logLevel = level; };

  Client.url = function (path) { return String(this.configuration.webrtc_gateway).replace(/\/$/, "") + path; };

  /** POST or GET to the gateway, with credentials (the instance cookie), as the Genesys library sends them. */
  Client.request = function (path, body, signal) {
    return fetch(this.url(path), body === undefined ? { credentials: "include", cache: "no-store", signal }
      : { method: "POST", body, credentials: "include", signal });
  };

  Client.signIn = async function (password) {
    const response = password !== undefined
      ? await this.request("/sign_in", this.publicId + ":" + password)
      : await this.request("/sign_in?" + encodeURIComponent(this.publicId));
    const text = await response.text();
    if (!response.ok) throw new Grtc.Error(Grtc.CONNECTION_ERROR, text.trim());
    // The first line is key=SSID; an answer without one is no sign-in (polling "undefined" would end it anyway).
    const first = text.split("\n")[0], equals = first.indexOf("=");
    if (equals < 0 || equals === first.length - 1) {
      throw new Grtc.Error(Grtc.CONNECTION_ERROR, "the gateway's sign-in answer has no key=SSID line");
    }
    this.registeredSSID = first.slice(equals + 1).trim();
    logger.log("Server-Side ID: " + this.registeredSSID);
    this.poll(this.registeredSSID);
  };

  Client.connect = function () {
    this.disconnect();
    this.signIn(undefined).then(
      () => this.onConnect.fire({ message: "Connection attempt to WebRTC Gateway is successful", id: this.registeredSSID }),
      () => this.onFailed.fire({ message: "Connection attempt to WebRTC Gateway has failed" }));
  };

  Client.register = function (localId) {
    this.disconnect();
    if (localId !== undefined) this.publicId = localId;
    else if (this.configuration.sip_username) this.publicId = this.configuration.sip_username;
    else throw new Grtc.Error(Grtc.GRTC_ERROR, "user specified id missing for registration");
    this.signIn(this.configuration.sip_password).then(
      () => this.onRegister.fire({ message: "Registration attempt to WebRTC Gateway is successful" }),
      () => this.onFailed.fire({ message: "Registration attempt to WebRTC Gateway has failed" }));
  };

  Client.disconnect = function () {
    this.signOut();
    this.publicId = anonymousId();
    this.onDisconnect.fire({ message: "Client is disconnected from WebRTC Gateway" });
  };

  Client.signOut = function () {
    if (this.mediaSession) this.mediaSession.closeSession(true);
    if (this.registeredSSID !== -1) {
      this.request("/sign_out?id=" + encodeURIComponent(this.registeredSSID)).catch(() => {});
      this.registeredSSID = -1;
    }
    this.resetCall();
  };

  Client.resetCall = function () {
    this.callState = IDLE;
    this.pcCaller = null;
    this.incomingMsg = null;
    this.onHold = false;
  };

  /** The hanging GET: one message per answer; an empty 200 is nothing, any other status ends the session. */
  Client.poll = async function (ssid) {
    while (this.registeredSSID === ssid) {
      const abort = new AbortController();
      const timer = this.pollingTimeout ? setTimeout(() => abort.abort(), this.pollingTimeout) : null;
      let response, text;
      try {
        response = await this.request("/wait?id=" + encodeURIComponent(ssid), undefined, abort.signal);
        text = await response.text();
      } catch (e) {
        if (abort.signal.aborted) continue;         // the client's own timeout: poll again
        if (this.registeredSSID === ssid) this.onConnectionError.fire({ status: "error" });
        return;
      } finally {
        if (timer) clearTimeout(timer);
      }
      if (this.registeredSSID !== ssid) return;
      if (response.status !== 200) {
        this.signOut();
        this.onPeerClosing.fire();
        return;
      }
      if (text) this.handleMessage(response.headers.get("Pragma"), text);
    }
  };

  Client.send = function (peer, data) {
    if (this.registeredSSID === -1) return Promise.resolve(null);
    if (this.logLevel > 1) logger.log("sendToPeer(" + peer + ", Data: " + data + ")");
    const path = "/message?from=" + encodeURIComponent(this.registeredSSID) + "&to=" + encodeURIComponent(peer);
    return this.request(path, data).catch((e) => logger.log(Grtc.GRTC_ERROR + ": send failed", e));
  };

  /** A message from the gateway, classified as the Genesys library does it. */
  Client.handleMessage = function (peer, msg) {
    const session = this.mediaSession;
    if (msg.startsWith("BYE")) {
      if (session) session.closeSession();
      this.onPeerClosing.fire();
      this.resetCall();
    } else if (msg.startsWith("INVITE")) {
      if (peer && this.callState === IDLE) {
        this.pcCaller = peer;
        this.onIncomingCall.fire({ peer, event: "invite" });
      } else if (session) {
        this.onCallEvent.fire({ event: "invite received" });
        session.offer();
      }
    } else if (msg.startsWith("SDP") && msg.indexOf("OFFER") > 0 && peer) {
      // The gateway offers an incoming call: acceptCall answers this offer.
      let offer = null;
      try { offer = JSON.parse(msg.slice(msg.indexOf("{"))); } catch (e) { return logger.log(Grtc.GRTC_WARN + ": bad offer", e); }
      if (this.callState !== IDLE) return logger.log(Grtc.GRTC_WARN + ": an offer from " + peer + " while in a call");
      this.pcCaller = peer;
      this.incomingMsg = offer;
      this.onIncomingCall.fire({ peer, event: "offer" });
    } else if (msg.startsWith("EVENT-TALK") && session) {
      if (this.callState === IDLE) {
        session.pcDest = this.pcCaller;
        session.acceptCall();
        this.onNotifyEvent.fire({ event: "talk", peer: this.pcCaller });
      } else {
        session.resumeCall();
        this.onNotifyEvent.fire({ event: "talk", peer });
      }
    } else if (msg.startsWith("EVENT-HOLD")) {
      if (session) {
        session.holdCall();
        this.onNotifyEvent.fire({ event: "hold", peer });
      }
    } else if (msg.startsWith("INFO-PEER ")) {
      this.onInfoFromPeer.fire(Grtc.deparam(msg.slice(10)));
    } else if (msg.startsWith("PUT-STATS")) {
      try { this.onStatsFromServer.fire(JSON.parse(msg.slice(9))); } catch (e) { logger.log(Grtc.GRTC_ERROR + ": bad PUT-STATS", e); }
    } else if (msg.indexOf("ERROR") > 0 && msg.indexOf("errorType") > 0 && msg.indexOf("{") > 0) {
      try {
        const error = JSON.parse(msg.slice(msg.indexOf("{"))).errorType;
        logger.log(Grtc.GRTC_ERROR + ": message received from the Gateway: " + error);
        this.onGatewayError.fire({ error });
      } catch (e) { logger.log(Grtc.GRTC_WARN + ": bad error message: " + msg, e); }
    } else if (session && msg.indexOf("OFFER") < 0 && msg.indexOf("{") >= 0) {
      try { session.processSignalingMessage(JSON.parse(msg.slice(msg.indexOf("{")))); } catch (e) { logger.log(Grtc.GRTC_ERROR + ": bad message", e); }
    } else {
      logger.log(Grtc.GRTC_WARN + ": unexpected message received: " + msg);
    }
  };

  Client.enableMediaSource = function (audioConstraints, videoConstraints) {
    if (audioConstraints !== undefined) this.audioConstraints = audioConstraints;
    if (videoConstraints !== undefined) this.videoConstraints = videoConstraints;
    navigator.mediaDevices.getUserMedia({ audio: this.audioConstraints, video: this.videoConstraints }).then((stream) => {
      if (this.localStream) this.localStream.getTracks().forEach((t) => t.stop());
      this.localStream = stream;
      this.onMediaSuccess.fire({ stream });
    }, (e) => this.onMediaFailure.fire({
      message: "Attempt to access local media has failed. Check if Camera or Mic is available. ErrorType: " + (e.name || e),
    }));
  };

  Client.disableMediaSource = function () {
    if (this.localStream) this.localStream.getTracks().forEach((t) => t.stop());
    this.localStream = null;
  };

  Client.setViewFromStream = function (element, stream) { element.srcObject = stream; };
  Client.filterIceCandidates = function (candidates) { return candidates; };
  /** A new peer connection for every offer (the Genesys library's way on Firefox): the gateway opens a new browser leg. */
  Client.setRenewSessionOnNeed = function (isEnabled) {
    if (typeof isEnabled === "boolean") this.renewPConNewOffer = isEnabled;
  };
  Client.setMediaConstraintsForOffer = function () {};
  Client.setMediaConstraintsForAnswer = function () {};
  Client.setVideoBandwidth = function () {};

  // -------------------- Grtc.MediaSession --------------------

  Grtc.MediaSession = function (client) {
    this.grtcClient = client;
    this.sessionId = ++Grtc.MediaSession.sessionId;
    this.sequenceNumber = 0;
    this.pcDest = null;
    this.peerConnection = null;
    this.dataToAttach = null;
    this.dataAttached = null;
    this.isConnected = false;
    this.direction = "sendrecv";
    this.renewed = false;
    this.noAnswerTimer = null;
    this.remoteStream = null;
    this.onRemoteStream = Callbacks();
    if (client) client.mediaSession = this;
  };
  Grtc.MediaSession.sessionId = 101;

  const Session = Grtc.MediaSession.prototype;

  Session.connection = function () {
    if (this.peerConnection) return this.peerConnection;
    const conf = this.grtcClient.configuration;
    const iceServers = [];
    if (conf.stun_server) for (const s of String(conf.stun_server).split(",")) iceServers.push({ urls: "stun:" + s });
    if (conf.turn_server && conf.turn_username && conf.turn_password) {
      for (const s of String(conf.turn_server).split(",")) {
        iceServers.push({ urls: "turn:" + s, username: conf.turn_username, credential: conf.turn_password });
      }
    }
    const pc = new RTCPeerConnection({ iceServers });
    this.remoteStream = new MediaStream();
    pc.ontrack = (e) => this.remoteStream.addTrack(e.track);
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState === "failed") this.grtcClient.onConnectionError.fire({ status: "ICE Failed" });
    };
    const stream = this.grtcClient.localStream;
    if (stream) for (const track of stream.getTracks()) pc.addTrack(track, stream);
    else pc.addTransceiver("audio", { direction: "recvonly" });
    this.peerConnection = pc;
    return pc;
  };

  /** Offers to `pcDest` (a new call, the answer to an INVITE, or a re-offer: on a new peer connection when
   * the client renews them), its candidates in the SDP. */
  Session.offer = async function () {
    if (this.peerConnection && this.grtcClient.renewPConNewOffer) {
      this.peerConnection.close();
      this.peerConnection = null;
      this.renewed = true;
    }
    const pc = this.connection();
    for (const t of pc.getTransceivers()) {
      t.direction = this.direction === "inactive" ? "inactive" : (t.sender.track ? "sendrecv" : "recvonly");
    }
    await pc.setLocalDescription(await pc.createOffer());
    await this.gathered(pc);
    const message = { messageType: "OFFER", offererSessionId: String(this.sessionId), seq: ++this.sequenceNumber,
      sdp: pc.localDescription.sdp, Candidates: [], tieBreaker: Math.floor(Math.random() * 0xFFFFFFFF) };
    if (this.dataToAttach) message.attacheddata = this.dataToAttach;
    this.grtcClient.callState = Math.max(this.grtcClient.callState, STARTED);
    await this.grtcClient.send(this.pcDest, "RSMP " + JSON.stringify(message));
  };

  /** Waits for the end of ICE gathering (the Genesys client sends its candidates in the SDP), bounded. */
  Session.gathered = function (pc) {
    return new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      const timer = setTimeout(resolve, Math.max(this.grtcClient.iceGatheringTimeout, 1000));
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") { clearTimeout(timer); resolve(); }
      });
    });
  };

  Session.makeOffer = function (remoteId, audioConstraints, videoConstraints) {
    if (this.grtcClient.registeredSSID === -1) throw new Grtc.Error(Grtc.NOT_READY_ERROR, "not connected to the gateway");
    this.pcDest = remoteId;
    this.grtcClient.callState = STARTED;
    clearTimeout(this.noAnswerTimer);
    this.noAnswerTimer = setTimeout(() => {
      if (this.isConnected) return;
      this.grtcClient.onPeerNoanswer.fire();
      this.terminateCall();
    }, this.grtcClient.noansTimeout);
    this.offer().catch((e) => this.grtcClient.onWebrtcError.fire({ error: String(e) }));
  };
  Session.makeCall = Session.makeOffer;

  /** Our ROAP message from the gateway: the ANSWER to our offer (then OK), or OK. Any may carry the call's data. */
  Session.processSignalingMessage = function (message) {
    if (message.attacheddata) this.dataAttached = message.attacheddata;
    if (message.messageType !== "ANSWER") return;
    const pc = this.peerConnection;
    if (!pc) return;
    pc.setRemoteDescription({ type: "answer", sdp: message.sdp }).then(() => {
      this.grtcClient.send(this.pcDest, "RSMP " + JSON.stringify({ messageType: "OK", offererSessionId: String(this.sessionId),
        answererSessionId: message.answererSessionId, seq: message.seq }));
      if (!this.isConnected || this.renewed) {     // a renewed connection has a new remote stream
        this.isConnected = true;
        this.renewed = false;
        clearTimeout(this.noAnswerTimer);
        this.grtcClient.callState = CONNECTED;
        this.onRemoteStream.fire({ stream: this.remoteStream });
      }
    }, (e) => this.grtcClient.onWebrtcError.fire({ error: String(e) }));
  };

  /** Accepts an incoming call: answers the gateway's offer, or (after an INVITE) offers. */
  Session.acceptCall = function () {
    const client = this.grtcClient;
    if (!client.pcCaller) throw new Grtc.Error(Grtc.INVALID_STATE_ERROR, "no incoming call");
    this.pcDest = client.pcCaller;
    client.callState = ACCEPTED;
    const offer = client.incomingMsg;
    client.incomingMsg = null;
    (offer ? this.answer(offer) : this.offer()).catch((e) => client.onWebrtcError.fire({ error: String(e) }));
  };

  /** Answers the gateway's offer (its ROAP ids echoed), its candidates in the SDP; the call is then up. */
  Session.answer = async function (offer) {
    if (offer.attacheddata) this.dataAttached = offer.attacheddata;
    const pc = this.connection();
    await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await this.gathered(pc);
    const message = { messageType: "ANSWER", offererSessionId: offer.offererSessionId, answererSessionId: String(this.sessionId),
      seq: offer.seq, sdp: pc.localDescription.sdp, Candidates: [] };
    if (this.dataToAttach) message.attacheddata = this.dataToAttach;
    await this.grtcClient.send(this.pcDest, "RSMP " + JSON.stringify(message));
    this.isConnected = true;
    this.grtcClient.callState = CONNECTED;
    this.onRemoteStream.fire({ stream: this.remoteStream });
  };

  Session.rejectCall = function () {
    const client = this.grtcClient;
    if (client.pcCaller) client.send(client.pcCaller, "BYE");
    this.closeSession();
    client.resetCall();
  };

  Session.terminateCall = function () {
    if (this.pcDest) this.grtcClient.send(this.pcDest, "BYE");
    this.closeSession();
    this.grtcClient.resetCall();
  };

  /** Hold and resume: a re-offer, inactive or sendrecv. */
  Session.redirect = function (direction) {
    if (!this.peerConnection || !this.isConnected) throw new Grtc.Error(Grtc.INVALID_STATE_ERROR, "call is not connected");
    this.direction = direction;
    this.offer().catch((e) => this.grtcClient.onWebrtcError.fire({ error: String(e) }));
  };
  Session.holdCall = function () { this.grtcClient.onHold = true; this.redirect("inactive"); };
  Session.resumeCall = function () { this.grtcClient.onHold = false; this.redirect("sendrecv"); };

  Session.setData = function (data) {
    const ok = Array.isArray(data) && data.length > 0 && data.every((d) =>
      d && typeof d === "object" && Object.keys(d).length === 2 && "key" in d && "value" in d);
    if (!ok) throw new Grtc.Error(Grtc.GRTC_ERROR, "Data attached is not well-formed");
    this.dataToAttach = data;
  };
  Session.getData = function () { return this.dataAttached; };

  Session.sendInfo = function (data, mapData) {
    if (!this.isConnected) return logger.log(Grtc.GRTC_ERROR + ": INFO message not sent: call is not connected yet");
    if (!data || typeof data !== "object" || Object.keys(data).length === 0) {
      return logger.log(Grtc.GRTC_ERROR + ": INFO message not sent: input data should be a non-empty object");
    }
    this.grtcClient.send(this.pcDest, (mapData === false ? "INFO-PEER " : "INFO-MAP ") + param(data));
  };

  Session.getServerStats = function () {
    if (!this.isConnected) return logger.log(Grtc.GRTC_ERROR + ": getServerStats: call is not connected yet");
    this.grtcClient.send(this.pcDest, "GET-STATS");
  };

  /** DTMF in the media (RFC 4733), as the browser sends it. */
  Session.sendDTMF = function (tones, options) {
    const sender = this.peerConnection && this.peerConnection.getSenders().find((s) => s.track && s.track.kind === "audio");
    if (!sender || !sender.dtmf) throw new Grtc.Error(Grtc.INVALID_STATE_ERROR, "no audio to send DTMF on");
    sender.dtmf.insertDTMF(tones, (options && options.tone_duration) || 100, (options && options.inter_tone_gap) || 70);
  };

  Session.closeSession = function () {
    clearTimeout(this.noAnswerTimer);
    if (this.peerConnection) this.peerConnection.close();
    this.peerConnection = null;
    this.isConnected = false;
    this.direction = "sendrecv";
    this.renewed = false;
    this.sequenceNumber = 0;
  };

  window.Grtc = Grtc;
})(window);
