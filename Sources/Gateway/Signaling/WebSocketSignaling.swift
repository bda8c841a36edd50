import HTTPEdge
import HummingbirdWebSocket
import NIOCore
import SignalingProtocol

/// The WebSocket transport of the signaling protocol (docs/SIGNALING.md):
/// one JSON object per text frame, both ways, onto one ClientSession. Frames
/// are read in the connection's task and hop to the call manager's loop,
/// where the session lives; the events the manager pushes (on its loop) wait
/// for the writing task in a bounded queue.
final class WebSocketSignaling: SignalingTransport, Sendable {
    static let path = "/ws"
    static let maxMessage = ClientMessage.maxLength
    /// Events not yet written: beyond this the client is not reading, and the
    /// session ends rather than grow without bound.
    static let maxBacklog = 256

    private let outbox: AsyncStream<String>.Continuation

    private init(outbox: AsyncStream<String>.Continuation) { self.outbox = outbox }

    /// Serves one upgraded connection until either side ends it.
    static func serve(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, source: String,
                      manager: CallManager) async {
        let (events, outbox) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(maxBacklog))
        let transport = WebSocketSignaling(outbox: outbox)
        let session = try? await manager.loop.submit { () -> ClientSession? in
            switch manager.open(transport, source: source) {
            case .success(let session): return session
            case .failure(let refusal):
                _ = transport.push(.error(SignalingError(refusal.code,
                                                         refusal == .draining ? "the gateway is shutting down" : "too many sessions")))
                transport.close()
                return nil
            }
        }.get()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await text in events {
                    do { try await outbound.write(.text(text)) } catch { return }
                }
            }
            if let session {
                group.addTask { await read(inbound, into: session, manager: manager) }
            }
            await group.next()
            group.cancelAll()
        }
        outbox.finish()
        if let session { manager.loop.execute { manager.close(session, reason: "WebSocket closed") } }
    }

    private static func read(_ inbound: WebSocketInboundStream, into session: ClientSession, manager: CallManager) async {
        do {
            for try await message in inbound.messages(maxSize: maxMessage) {
                switch message {
                case .text(let text):
                    let decoded = Result { () throws(ClientMessage.DecodeError) in try ClientMessage(decoding: Array(text.utf8)) }
                    manager.loop.execute {
                        switch decoded {
                        case .success(let message): manager.receive(message, from: session)
                        case .failure(let error): session.error(.badMessage, error.description)
                        }
                    }
                case .binary:
                    manager.loop.execute { session.error(.badMessage, "binary frames are not part of the protocol") }
                }
            }
        } catch {
            // A frame over the bound or a broken connection: the connection ends, and with it the session.
        }
    }

    // MARK: SignalingTransport (on the manager's loop)

    func push(_ event: ServerEvent) -> Bool {
        if case .enqueued = outbox.yield(event.json) { return true }
        return false
    }

    func close() { outbox.finish() }
}
