import NIOCore
import NIOHTTP1

/// A request as the routes see it: the whole body is read first (bounded).
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var query: [String: String]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The client's IP address (what its connection came from).
    public var source: String
}

public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(String, String)] = []
    /// Called (on the connection's loop) when the response could not be
    /// written: the client went away first. A long-poll queues its message again.
    public var onUndelivered: (@Sendable () -> Void)?

    public init(status: HTTPResponseStatus = .ok, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public static func text(_ text: String, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, body: Array(text.utf8))
    }
}

public typealias HTTPRouter = @Sendable (HTTPRequest, EventLoop) -> EventLoopFuture<HTTPResponse>
