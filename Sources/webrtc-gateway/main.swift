import Foundation
import Gateway
import Logging

let usage = """
usage: webrtc-gateway [options]

  --http HOST:PORT        where the HTTP server listens (default 127.0.0.1:8080)
  --media-ip ADDR         the address of the media ports, put in the SDP (default 127.0.0.1)
  --rtp-ports LOW-HIGH    the UDP ports for media, one per call leg (default 40000-40999)
  --sip-listen HOST:PORT  where the SIP stack listens, UDP and TCP (default 127.0.0.1:5060)
  --sip-server [tcp:|tls:]HOST:PORT  the SIP server / outbound proxy (UDP; TCP or TLS with the prefix);
                          without it the embedded registrar runs
  --sip-tls-trust FILE    PEM CA certificates to trust for a tls: SIP server (default: the system's)
  --sip-domain NAME       the SIP domain of the accounts (default: the --sip-listen host)
  --register USER:PASS    register USER on the SIP server at start (repeatable; for tests until sign-in does it)
  --test-call-routes      enable POST /test/call and /test/hangup, which place and end SIP calls on
                          request (for the test suite; never on an exposed gateway)
  --media-demo [SECONDS]  instead of serving, run one simulated call through the media core and print it
  --help                  this text
"""

func fail(_ message: String) -> Never {
    FileHandle.standardError.write("webrtc-gateway: \(message)\n\(usage)\n".data(using: .utf8)!)
    exit(2)
}

var config = GatewayServer.Config()
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
    let flag = arguments.removeFirst()
    func value() -> String {
        guard !arguments.isEmpty else { fail("\(flag) needs a value") }
        return arguments.removeFirst()
    }
    switch flag {
    case "--help", "-h":
        print(usage)
        exit(0)
    case "--http":
        let v = value()
        guard let colon = v.lastIndex(of: ":"), let port = Int(v[v.index(after: colon)...]), (0...65535).contains(port)
        else { fail("--http wants HOST:PORT, got \(v)") }
        config.httpHost = String(v[..<colon])
        config.httpPort = port
    case "--sip-listen", "--sip-server":
        var v = value()
        if flag == "--sip-server", let scheme = ["tcp:", "udp:", "tls:"].first(where: { v.lowercased().hasPrefix($0) }) {
            config.sipServerTransport = String(scheme.dropLast())
            v = String(v.dropFirst(scheme.count))
        }
        guard let colon = v.lastIndex(of: ":"), let port = UInt16(v[v.index(after: colon)...]) else {
            fail("\(flag) wants HOST:PORT, got \(v)")
        }
        if flag == "--sip-listen" {
            config.sipListenHost = String(v[..<colon])
            config.sipListenPort = Int(port)
        } else {
            config.sipServer = (String(v[..<colon]), port)
        }
    case "--test-call-routes":
        config.testCallRoutes = true
    case "--sip-tls-trust":
        config.sipTLSTrust = value()
    case "--sip-domain":
        config.sipDomain = value()
    case "--register":
        let v = value()
        guard let colon = v.firstIndex(of: ":") else { fail("--register wants USER:PASSWORD") }
        config.sipAccounts.append((String(v[..<colon]), String(v[v.index(after: colon)...])))
    case "--media-ip":
        config.mediaIP = value()
    case "--rtp-ports":
        let v = value()
        let parts = v.split(separator: "-")
        guard parts.count == 2, let low = UInt16(parts[0]), let high = UInt16(parts[1]), low <= high, low > 0
        else { fail("--rtp-ports wants LOW-HIGH, got \(v)") }
        config.rtpPorts = low...high
    case "--media-demo":
        let seconds = arguments.first.flatMap { Int($0) }.map { s -> Int in arguments.removeFirst(); return s } ?? 3
        do {
            print(try MediaDemo(seconds: max(1, min(seconds, 3600))).run())
            exit(0)
        } catch {
            fail("media demo failed: \(error)")
        }
    default:
        fail("unknown option \(flag)")
    }
}

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .info
    return handler
}
let server = GatewayServer(config: config)
do {
    let port = try server.start()
    // Written unbuffered: whoever started us (a script, a test) reads it at once.
    let banner = "webrtc-gateway listening on http://\(config.httpHost):\(port)/ (media on \(config.mediaIP), " +
        "ports \(config.rtpPorts.lowerBound)-\(config.rtpPorts.upperBound))\n"
    FileHandle.standardOutput.write(banner.data(using: .utf8)!)
    try server.wait()
} catch {
    fail("cannot start: \(error)")
}
