import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTP1
import SignalingProtocol

/// A request as the routes see it: the whole body is read first (bounded).
public struct RouteRequest: Sendable {
    /// The largest request body read; a larger one is answered 413.
    public static let maxBody = 64 * 1024

    public var method: HTTPMethod
    public var path: String
    public var query: [String: String]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The client's IP address (what its connection came from).
    public var source: String
    /// Whether the request's connection is still open (a browser abandons a
    /// request by closing it): a parked answer then has no one to go to.
    public var connectionIsOpen: @Sendable () -> Bool = { true }

    /// The head of a Hummingbird request as the routes read it: Host back among the headers (HTTP/1's
    /// Host is the head's authority), the query read as a form (`a=1&b=x+y`, bounded).
    public init(_ head: HTTPTypes.HTTPRequest, uri: URI, body: [UInt8], source: String) {
        method = HTTPMethod(rawValue: head.method.rawValue)
        path = uri.path
        query = uri.query.map { FormEncoding.fields($0) } ?? [:]
        var headers = HTTPHeaders(head.headerFields.map { ($0.name.rawName, $0.value) })
        if let authority = head.authority { headers.replaceOrAdd(name: "Host", value: authority) }
        self.headers = headers
        self.body = body
        self.source = source
    }

    /// `request` with its body read (at most `maxBody`: more throws, and is answered 413).
    public static func reading(_ request: Request, context: GatewayRequestContext) async throws -> RouteRequest {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        var routed = RouteRequest(request.head, uri: request.uri, body: Array(body.readableBytesView), source: context.source)
        routed.connectionIsOpen = context.connectionIsOpen
        return routed
    }
}

public struct RouteResponse: Sendable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(String, String)] = []
    /// Called when the response could not be written: the client went away
    /// first. A long-poll queues its message again.
    public var onUndelivered: (@Sendable () -> Void)?

    public init(status: HTTPResponseStatus = .ok, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public static func text(_ text: String, status: HTTPResponseStatus = .ok) -> RouteResponse {
        RouteResponse(status: status, body: Array(text.utf8))
    }

    /// As Hummingbird writes it; a write that fails tells `onUndelivered`.
    public var hummingbird: Response {
        var fields = HTTPFields()
        fields[.contentType] = contentType
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        let bytes = ByteBuffer(bytes: body), undelivered = onUndelivered
        let status = HTTPTypes.HTTPResponse.Status(code: Int(self.status.code), reasonPhrase: self.status.reasonPhrase)
        return Response(status: status, headers: fields, body: ResponseBody(contentLength: bytes.readableBytes) { writer in
            do {
                try await writer.write(bytes)
                try await writer.finish(nil)
            } catch {
                undelivered?()
                throw error
            }
        })
    }
}

/// A route: what the gateway answers a request (on any loop; the answer is hopped back).
public typealias HTTPRouter = @Sendable (RouteRequest, EventLoop) -> EventLoopFuture<RouteResponse>
