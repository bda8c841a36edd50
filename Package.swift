// swift-tools-version:6.0
// The WebRTC-to-SIP gateway. The per-packet media core is C (CShims/, public
// headers in include/); everything else is Swift.
import PackageDescription

let package = Package(
    name: "webrtc-gateway",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "webrtc-gateway", targets: ["webrtc-gateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
    ],
    targets: [
        // System C libraries, resolved through pkg-config.
        .systemLibrary(name: "COpus", path: "CShims/system/opus", pkgConfig: "opus",
                       providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "CShims/system/openssl", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSpeexDSP", path: "CShims/system/speexdsp", pkgConfig: "speexdsp",
                       providers: [.apt(["libspeexdsp-dev"])]),

        // The media core: the same sources the Makefile builds into libgwmedia.so.
        .target(
            name: "CGatewayMedia",
            dependencies: ["COpenSSL", "COpus", "CSpeexDSP"],
            path: ".",
            sources: ["CShims/gwmedia/src"],
            publicHeadersPath: "include",
            cSettings: [.define("_DEFAULT_SOURCE")]
        ),
        // OpenSSL shim of the Swift side: sans-IO DTLS endpoint, HMAC-SHA1.
        .target(name: "CGatewayTLS", dependencies: ["COpenSSL"], path: "CShims/tls", sources: ["src"],
                publicHeadersPath: "include", cSettings: [.define("_DEFAULT_SOURCE")]),
        // The C library's resolver for the SIP server's DNS names (RFC 3263).
        .target(name: "CGatewayDNS", path: "CShims/dns", sources: ["src"], publicHeadersPath: "include",
                cSettings: [.define("_DEFAULT_SOURCE")], linkerSettings: [.linkedLibrary("resolv")]),
        // The media vocabulary shared by SDP negotiation and the media core's Swift face.
        .target(name: "MediaTypes"),
        .target(name: "MediaCore", dependencies: ["CGatewayMedia", "MediaTypes"]),
        // Checked access and number conversion for everything that came off the wire.
        .target(name: "WireInput"),
        .target(name: "SDP", dependencies: ["WireInput", "MediaTypes"]),
        .target(name: "STUN", dependencies: ["CGatewayTLS"]),
        // The SIP stack: message syntax, transactions, dialogs, registration (sans-IO cores).
        .target(name: "SIP", dependencies: ["CGatewayTLS", "WireInput", .product(name: "HeapModule", package: "swift-collections")]),
        // The browser leg: ICE-lite, DTLS-SRTP, and the session tying them to the media bridge.
        .target(name: "WebRTC", dependencies: ["SDP", "STUN", "MediaCore", "CGatewayMedia", "CGatewayTLS"]),
        // The signaling protocol's message syntax (long-poll words, tokens): no I/O.
        .target(name: "SignalingProtocol", dependencies: ["WireInput"]),
        // Identifiers and keys from the system's CSPRNG (tokens, tags, SSRCs, SDES keys).
        .target(name: "Identifiers"),
        // What the gateway decides, without I/O: sessions and sign-in, the calls, the user agent's registrations.
        .target(name: "GatewayCore", dependencies: ["SignalingProtocol", "SIP", "SDP", "MediaTypes", "MediaCore", "WireInput", "Identifiers",
                                                    .product(name: "DequeModule", package: "swift-collections"),
                                                    .product(name: "HeapModule", package: "swift-collections")]),
        // What the NIO shells share: bounds and refusal counts, the media port pool, random identifiers.
        .target(name: "ShellSupport", dependencies: ["Identifiers", .product(name: "NIOCore", package: "swift-nio"),
                                                     .product(name: "NIOPosix", package: "swift-nio"),
                                                     .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]),
        // The HTTP layer without sockets: request handler, request and response values, Host/Origin/CORS policies.
        .target(name: "HTTPEdge", dependencies: ["SignalingProtocol", "ShellSupport",
                                                 .product(name: "NIOCore", package: "swift-nio"),
                                                 .product(name: "NIOHTTP1", package: "swift-nio"),
                                                 .product(name: "Hummingbird", package: "hummingbird"),
                                                 .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket")]),
        // The NIO shell of a SIP endpoint (sockets, transactions, answered dialogs) and the role it serves.
        .target(
            name: "SIPEndpoint",
            dependencies: [
                "SIP", "SDP", "ShellSupport", "CGatewayDNS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The embedded SIP server (registrar, proxy, test numbers): its own SIP endpoint, not the gateway's user agent.
        .target(
            name: "EmbeddedSIPServer",
            dependencies: [
                "SIPEndpoint", "SIP", "SDP", "MediaCore", "ShellSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The NIO shells: HTTP server, media sockets, and what ties them to the cores.
        .target(
            name: "Gateway",
            dependencies: [
                "GatewayCore", "SIPEndpoint", "EmbeddedSIPServer", "ShellSupport", "HTTPEdge",
                "WebRTC", "SDP", "SIP", "SignalingProtocol", "MediaCore", "MediaTypes", "WireInput",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Public")]
        ),
        .executableTarget(name: "webrtc-gateway", dependencies: [
            "Gateway", "MediaCore", "CGatewayMedia", .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        // libFuzzer targets of the Swift parsers (built with -DFUZZING by scripts/test).
        .target(name: "FuzzSupport", path: "Tests/fuzz/support"),
        .target(name: "FuzzSDP", dependencies: ["SDP"], path: "Tests/fuzz/sdp"),
        .target(name: "FuzzSTUN", dependencies: ["STUN", "SDP", "WebRTC"], path: "Tests/fuzz/stun"),
        .target(name: "FuzzDTLS", dependencies: ["WebRTC", "SDP"], path: "Tests/fuzz/dtls"),
        .target(name: "FuzzSIP", dependencies: ["SIP"], path: "Tests/fuzz/sip"),
        .target(name: "FuzzSignaling", dependencies: ["SignalingProtocol", "GatewayCore", "SIP"], path: "Tests/fuzz/signaling"),
        .target(name: "FuzzHTTP", dependencies: ["HTTPEdge", "SignalingProtocol",
                                                 .product(name: "NIOCore", package: "swift-nio"),
                                                 .product(name: "NIOEmbedded", package: "swift-nio"),
                                                 .product(name: "Logging", package: "swift-log"),
                                                 .product(name: "Hummingbird", package: "hummingbird")],
                path: "Tests/fuzz/http"),
        .executableTarget(name: "fuzz-swift", dependencies: ["FuzzSupport", "FuzzSDP", "FuzzSTUN", "FuzzDTLS", "FuzzSIP",
                                                             "FuzzSignaling", "FuzzHTTP"],
                          path: "Tests/fuzz/main", swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "sip-bench", dependencies: ["SIP"], path: "Benchmarks/sip",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "gateway-load", dependencies: [
            "WebRTC", "STUN", "SDP", "MediaCore", "CGatewayMedia", "Identifiers",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Benchmarks/load"),
        .testTarget(name: "MediaCoreTests", dependencies: ["MediaCore", "CGatewayMedia"]),
        .testTarget(name: "STUNTests", dependencies: ["STUN"]),
        .testTarget(name: "SIPTests", dependencies: ["SIP"]),
        .testTarget(name: "SIPEndpointTests", dependencies: ["SIPEndpoint", "SIP"]),
        .testTarget(name: "WireInputTests", dependencies: ["WireInput"]),
        .testTarget(name: "HTTPEdgeTests", dependencies: ["HTTPEdge"]),
        .testTarget(name: "SignalingProtocolTests", dependencies: ["SignalingProtocol"]),
        .testTarget(name: "GatewayCoreTests", dependencies: ["GatewayCore", "SignalingProtocol", "SIP", "SDP"]),
        .testTarget(name: "WebRTCTests", dependencies: ["WebRTC", "STUN", "SDP", "MediaCore", "CGatewayMedia"]),
        .testTarget(name: "SDPTests", dependencies: ["SDP"], resources: [.copy("Fixtures")]),
    ]
)
