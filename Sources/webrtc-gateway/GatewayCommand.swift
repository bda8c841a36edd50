import ArgumentParser
import Foundation
import Gateway
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// The gateway's command: serves until SIGTERM or SIGINT, then drains
/// (`GatewayService`); or prints its configuration, or runs the media demo.
@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webrtc-gateway",
        abstract: "A WebRTC-to-SIP gateway: browsers sign in over HTTP/WebSocket and become SIP endpoints.",
        discussion: "Options come from --config FILE (YAML), then WEBRTC_GATEWAY_* environment variables, then the command line. docs/OPERATIONS.md tells how to run it.",
        version: "webrtc-gateway 0.7")

    @OptionGroup var options: GatewayOptions

    /// Parses the file's, the environment's and the command line's options as one.
    static func main() async {
        do {
            let arguments = try ConfigurationSources.arguments(commandLine: Array(CommandLine.arguments.dropFirst()),
                                                               environment: ProcessInfo.processInfo.environment)
            var command = try parseAsRoot(arguments)
            if let gateway = command as? GatewayCommand { try await gateway.run() } else { try command.run() }
        } catch {
            exit(withError: error)
        }
    }

    func run() async throws {
        if let seconds = options.mediaDemo {
            print(try MediaDemo(seconds: max(1, min(seconds, 3600))).run())
            return
        }
        let config = try options.gatewayConfig()
        if options.printConfig {
            print(options.effective.map { $0.1.yaml($0.0) }.joined(separator: "\n"))
            return
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
        let http: any Service
        do {
            http = try server.start { port in
                // Written unbuffered: whoever started us (a script, a test) reads it at once.
                let scheme = config.httpsCertificate == nil ? "http" : "https"
                let banner = "webrtc-gateway listening on \(scheme)://\(config.httpHost):\(port)/ (SIP on \(config.sipListenHost):"
                    + "\(server.sipPort), media on \(config.mediaIP), ports \(config.rtpPorts.lowerBound)-\(config.rtpPorts.upperBound))\n"
                FileHandle.standardOutput.write(Data(banner.utf8))
            }
        } catch {
            throw ValidationError("cannot start: \(error)")
        }
        let service = GatewayService(server: server, drainTimeout: .seconds(config.drainTimeoutSeconds), logger: logger)
        // Shut down in reverse order: the drain first, while HTTP still serves the sessions it signs out; then HTTP.
        try await ServiceGroup(services: [http, service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
        await server.stop()
    }
}
