import Foundation
import Gateway
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

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
    var handler: LogHandler = config.logJSON ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
    handler.logLevel = config.logLevel
    return handler
}
let logger = Logger(label: "gateway")
let files = OpenFileLimit.raise()
logger.notice("open files: \(files.now) (was \(files.was)): room for about \(OpenFileLimit.calls(files.now)) calls")
let server = GatewayServer(config: config, logger: logger)
// What the libraries report through swift-metrics joins the gateway's own at GET /metrics.
MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: server.metricsRegistry))
do {
    let port = try server.start()
    // Written unbuffered: whoever started us (a script, a test) reads it at once.
    let scheme = config.httpsCertificate == nil ? "http" : "https"
    let banner = "webrtc-gateway listening on \(scheme)://\(config.httpHost):\(port)/ (SIP on \(config.sipListenHost):\(server.sipPort), " +
        "media on \(config.mediaIP), ports \(config.rtpPorts.lowerBound)-\(config.rtpPorts.upperBound))\n"
    FileHandle.standardOutput.write(banner.data(using: .utf8)!)
} catch {
    fail("cannot start: \(error)")
}
let service = GatewayService(server: server, drainTimeout: .seconds(config.drainTimeoutSeconds), logger: logger)
let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
do {
    try await group.run()
} catch {
    fail("stopped by \(error)")
}
