import Foundation

// Until the signaling and SIP layers exist, the gateway's default run is a
// media-core demonstration: one simulated call through the bridge.
let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--help") || arguments.contains("-h") {
    print("""
    usage: webrtc-gateway [--seconds N]

    Runs one simulated call through the media core: a "browser" leg sending
    Opus over SRTP (a 1 kHz tone) and a "SIP" leg sending PCMU over RTP (a
    440 Hz tone), transcoded both ways, then prints what each side heard and
    the per-leg statistics.
      --seconds N   length of the simulated call (default 3)
    """)
    exit(0)
}
var seconds = 3
if let i = arguments.firstIndex(of: "--seconds"), arguments.index(after: i) < arguments.endIndex,
   let n = Int(arguments[arguments.index(after: i)]), n > 0, n <= 3600 {
    seconds = n
}

do {
    let report = try MediaDemo(seconds: seconds).run()
    print(report)
} catch {
    FileHandle.standardError.write("media demo failed: \(error)\n".data(using: .utf8)!)
    exit(1)
}
