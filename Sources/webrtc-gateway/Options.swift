import Foundation
import Gateway
import Logging

let usage = """
usage: webrtc-gateway [options]

  --http HOST:PORT        where the HTTP server listens: signaling (WebSocket /ws, long-poll), the
                          JavaScript library (/sdk/gateway.js) and the softphone (/) (default 127.0.0.1:8080)
  --https-cert FILE       serve HTTPS and WSS there instead, with this PEM certificate chain (browsers
  --https-key FILE        allow the microphone only to secure pages, localhost aside) and this PEM key
  --media-ip ADDR         the address of the media ports, put in the SDP (default 127.0.0.1)
  --media-advertise ADDR  the address the browser legs put in their SDP and ICE candidate when a NAT maps
                          a public address to --media-ip (default: --media-ip; bound to 0.0.0.0, the
                          machine's first address)
  --sip-media-advertise ADDR  the same for the SIP legs' SDP, when the SIP peers are across that NAT too
  --sip-advertise HOST    the host put in SIP Contact and Via when a NAT maps it to --sip-listen's address
                          (default: that address; bound to 0.0.0.0, the machine's first address)
  --public-ip ADDR        all three of the above
  --rtp-ports LOW-HIGH    the UDP ports for media, one per call leg (default 40000-40999)
  --sip-listen HOST:PORT  where the SIP stack listens, UDP and TCP (default 127.0.0.1:5060); without
                          --sip-server the embedded SIP server listens here, on loopback only unless it
                          has --sip-account accounts (the gateway's own user agent takes a free port beside it)
  --sip-server [tcp:|tls:]HOST:PORT  the SIP server / outbound proxy the browser users register with
                          (UDP; TCP or TLS with the prefix); without it the embedded registrar/proxy runs,
                          with the numbers echo, tone, busy and ring
  --sip-tls-port PORT     also listen for SIP over TLS on this port (the --sip-listen host), with
  --sip-tls-cert FILE     this PEM certificate chain
  --sip-tls-key FILE      and this PEM private key
  --sip-tls-trust FILE    PEM CA certificates to trust for a tls: SIP server (default: the system's)
  --sip-domain NAME       the SIP domain of the users (default: the --sip-listen host)
  --register USER:PASS    register USER on the SIP server at start (repeatable; browser users are
                          registered when they sign in)
  --sip-account USER:PASS an account of the embedded SIP server (repeatable): with any, it asks every
                          REGISTER and new INVITE for Digest credentials, and may listen on a
                          non-loopback --sip-listen address
  --register-expires SECONDS  the registration interval asked of the SIP server (default 3600;
                          refreshed at half of what it grants)
  --sip-keepalive SECONDS ping the SIP server (CRLF CRLF, RFC 5626) this often while users are
                          registered, to keep NAT bindings and TCP/TLS connections open; 0 = never (default 30)
  --sip-srtp              offer SDES-SRTP (RTP/SAVP with a=crypto) on the SIP leg of the browsers' calls
                          (default plain RTP; SDES offers from SIP peers are always taken)
  --dtmf-info             send the browser's DTMF as SIP INFO too (it always goes as RFC 4733, and as
                          INFO when the SIP peer has no telephone-event)
  --attached-data-prefix PREFIX  the header name prefix of the data a browser attaches to its call
                          (Genesys attacheddata), carried on the INVITE (default X-Genesys-)
  --http-name NAME        a DNS name the gateway is reached by (repeatable): requests whose Host is
                          another name are refused (DNS rebinding); IP addresses and localhost always pass
  --allowed-origin ORIGIN let pages of ORIGIN (e.g. https://app.example.com) use the signaling from a
                          browser, besides the gateway's own pages (repeatable)
  --poll-expiry SECONDS   sign out a long-poll client that stops polling for this long (default 30)
  --poll-hold SECONDS     hold a long-poll GET /wait open this long when there is nothing to send (default
                          50: above the Genesys client's own 30 s timeout, so that it re-polls first)
  --config FILE           read options from FILE: one per line, `name = value` with the names above
                          (without --), `#` comments; options on the command line come after it
  --anonymous-calls-to NUMBER  allow anonymous long-poll sign-in (GET /sign_in?ID, no password), whose
                          users may call NUMBER only (repeatable; off by default)
  --sip-trusted-peer ADDR with --sip-server, also take SIP requests from this IP address (repeatable;
                          SIP from any other address than the server's is not answered)
  --max-sessions N        signaling sessions in all (default 1000)
  --max-sessions-per-source N  signaling sessions from one IP address (default 200)
  --idle-timeout SECONDS  close an HTTP or WebSocket connection that sends nothing for this long
                          (default 75; the library pings every 25 s, a long-poll wait lasts 25 s)
  --sip-idle-timeout SECONDS  close a SIP TCP/TLS connection a peer opened when it sends nothing for this
                          long (default 300; phones keep theirs with CRLF keep-alives)
  --ring-timeout SECONDS  a call that rings this long, either way, is given up (default 120)
  --log-level LEVEL       trace, debug, info, notice, warning, error or critical (default info)
  --log-format FORMAT     text, or json: one JSON object per line with the metadata as fields (a call's
                          call, user and sip_call_id) (default text)
  --sip-trace             log every SIP message of the user agent, in and out, with its direction,
                          transport and addresses (at info)
  --hep HOST:PORT         send every SIP message of the user agent as HEP3 over UDP to a Homer
                          collector (or sngrep -L udp:HOST:PORT)
  --sip-probe SECONDS     ask the SIP server whether it is there (OPTIONS) at start and this often; /readyz
                          is ready only while it answers; 0 = never (default 30)
  --drain-timeout SECONDS on SIGTERM or SIGINT the gateway drains: /readyz answers 503, new sessions,
                          sign-ins and calls are refused (SIP: 503 with Retry-After), calls up go on for
                          at most this long, then end with BYE; every user is unregistered and the
                          gateway exits 0. A second signal ends the calls at once (default 60)
  --max-call-rate N       new SIP calls taken on per second; more are answered 503 with Retry-After,
                          so that a flood cannot take the calls already up down with it (default 500)
  --test-routes           mount the test suite's routes under /test/ (browser-leg echo sessions, SIP
                          state, SIP calls placed on request); needs --http on loopback
  --media-demo [SECONDS]  instead of serving, run one simulated call through the media core and print it
  --help                  this text
"""

func fail(_ message: String) -> Never {
    FileHandle.standardError.write("webrtc-gateway: \(message)\n\(usage)\n".data(using: .utf8)!)
    exit(2)
}

/// The options of a --config file, as command-line arguments.
func configArguments(_ path: String) -> [String] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read --config \(path)") }
    var out: [String] = []
    for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { continue }
        let parts = trimmed.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let name = parts.first, !name.isEmpty, !["config", "help", "media-demo"].contains(name) else {
            fail("\(path):\(number + 1): want `name = value`")
        }
        out.append("--" + name)
        if parts.count == 2, !parts[1].isEmpty { out.append(parts[1]) }
    }
    return out
}

/// What the command line (and --config files) ask for: the gateway's
/// configuration, or the media demo's length.
func parseOptions(_ given: [String]) -> (config: GatewayServer.Config, mediaDemo: Int?) {
    var config = GatewayServer.Config()
    var arguments = given
    var mediaDemo: Int?
    while !arguments.isEmpty {
        let flag = arguments.removeFirst()
        func value() -> String {
            guard !arguments.isEmpty else { fail("\(flag) needs a value") }
            return arguments.removeFirst()
        }
        func number(in range: ClosedRange<Int>, _ what: String) -> Int {
            let v = value()
            guard let n = Int(v), range.contains(n) else { fail("\(flag) wants \(what) (\(range.lowerBound)-\(range.upperBound)), got \(v)") }
            return n
        }
        func account(_ v: String) -> (user: String, password: String) {
            guard let colon = v.firstIndex(of: ":") else { fail("\(flag) wants USER:PASSWORD") }
            return (String(v[..<colon]), String(v[v.index(after: colon)...]))
        }
        func hostPort(_ v: String) -> (String, UInt16) {
            guard let colon = v.lastIndex(of: ":"), let port = UInt16(v[v.index(after: colon)...]) else {
                fail("\(flag) wants HOST:PORT, got \(v)")
            }
            return (String(v[..<colon]), port)
        }
        switch flag {
        case "--help", "-h":
            print(usage)
            exit(0)
        case "--config":
            arguments = configArguments(value()) + arguments
        case "--http":
            (config.httpHost, config.httpPort) = { let (h, p) = hostPort(value()); return (h, Int(p)) }()
        case "--sip-listen":
            (config.sipListenHost, config.sipListenPort) = { let (h, p) = hostPort(value()); return (h, Int(p)) }()
        case "--sip-server":
            var v = value()
            if let scheme = ["tcp:", "udp:", "tls:"].first(where: { v.lowercased().hasPrefix($0) }) {
                config.sipServerTransport = String(scheme.dropLast())
                v = String(v.dropFirst(scheme.count))
            }
            config.sipServer = hostPort(v)
        case "--test-routes":
            config.testRoutes = true
        case "--anonymous-calls-to":
            config.anonymousDestinations.append(value())
        case "--sip-trusted-peer":
            config.sipTrustedPeers.append(value())
        case "--idle-timeout":
            config.idleTimeoutSeconds = number(in: 30...3600, "seconds")
        case "--sip-idle-timeout":
            config.sipIdleTimeoutSeconds = number(in: 30...86_400, "seconds")
        case "--ring-timeout":
            config.ringTimeoutSeconds = number(in: 5...3600, "seconds")
        case "--log-level":
            let v = value()
            guard let level = Logger.Level(rawValue: v) else { fail("--log-level wants trace, debug, info, notice, warning, error or critical") }
            config.logLevel = level
        case "--log-format":
            let v = value()
            guard v == "text" || v == "json" else { fail("--log-format wants text or json") }
            config.logJSON = v == "json"
        case "--sip-trace":
            config.sipTrace = true
        case "--hep":
            config.hep = hostPort(value())
        case "--sip-probe":
            config.sipProbeSeconds = number(in: 0...3600, "seconds")
        case "--drain-timeout":
            config.drainTimeoutSeconds = number(in: 0...86_400, "seconds")
        case "--max-call-rate":
            config.maxCallRate = number(in: 1...100_000, "calls per second")
        case "--max-sessions":
            config.maxSessions = number(in: 1...1_000_000, "sessions")
        case "--max-sessions-per-source":
            config.maxSessionsPerSource = number(in: 1...100_000, "sessions")
        case "--register-expires":
            config.registerExpires = number(in: 10...86_400, "seconds")
        case "--sip-keepalive":
            config.sipKeepAliveSeconds = number(in: 0...3600, "seconds")
        case "--sip-srtp":
            config.sipSRTP = true
        case "--dtmf-info":
            config.dtmfInfo = true
        case "--attached-data-prefix":
            config.attachedDataPrefix = value()
            if !config.attachedDataPrefix.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) {
                fail("--attached-data-prefix takes the start of a header name")
            }
        case "--http-name":
            config.httpNames.append(value())
        case "--allowed-origin":
            config.allowedOrigins.append(value())
        case "--poll-expiry":
            config.pollExpirySeconds = number(in: 1...3600, "seconds")
        case "--poll-hold":
            config.pollHoldSeconds = number(in: 1...600, "seconds")
        case "--https-cert":
            config.httpsCertificate = value()
        case "--https-key":
            config.httpsKey = value()
        case "--sip-tls-port":
            config.sipTLSPort = number(in: 0...65535, "a port")
        case "--sip-tls-cert":
            config.sipTLSCertificate = value()
        case "--sip-tls-key":
            config.sipTLSKey = value()
        case "--sip-tls-trust":
            config.sipTLSTrust = value()
        case "--sip-domain":
            config.sipDomain = value()
        case "--register":
            config.sipAccounts.append(account(value()))
        case "--sip-account":
            config.embeddedAccounts.append(account(value()))
        case "--media-ip":
            config.mediaIP = value()
        case "--media-advertise":
            config.mediaAdvertise = value()
        case "--sip-media-advertise":
            config.sipMediaAdvertise = value()
        case "--sip-advertise":
            config.sipAdvertise = value()
        case "--public-ip":
            let v = value()
            (config.mediaAdvertise, config.sipMediaAdvertise, config.sipAdvertise) = (v, v, v)
        case "--rtp-ports":
            let v = value()
            let parts = v.split(separator: "-")
            guard parts.count == 2, let low = UInt16(parts[0]), let high = UInt16(parts[1]), low <= high, low > 0
            else { fail("--rtp-ports wants LOW-HIGH, got \(v)") }
            config.rtpPorts = low...high
        case "--media-demo":
            let seconds = arguments.first.flatMap { Int($0) }.map { s -> Int in arguments.removeFirst(); return s } ?? 3
            mediaDemo = max(1, min(seconds, 3600))
        default:
            fail("unknown option \(flag)")
        }
    }
    return (config, mediaDemo)
}
