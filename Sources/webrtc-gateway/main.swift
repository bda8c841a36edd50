import Foundation
import Gateway
import Logging

let (config, mediaDemo) = parseOptions(Array(CommandLine.arguments.dropFirst()))
if let seconds = mediaDemo {
    do {
        print(try MediaDemo(seconds: seconds).run())
        exit(0)
    } catch {
        fail("media demo failed: \(error)")
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
    let scheme = config.httpsCertificate == nil ? "http" : "https"
    let banner = "webrtc-gateway listening on \(scheme)://\(config.httpHost):\(port)/ (SIP on \(config.sipListenHost):\(server.sipPort), " +
        "media on \(config.mediaIP), ports \(config.rtpPorts.lowerBound)-\(config.rtpPorts.upperBound))\n"
    FileHandle.standardOutput.write(banner.data(using: .utf8)!)
    try server.wait()
} catch {
    fail("cannot start: \(error)")
}
