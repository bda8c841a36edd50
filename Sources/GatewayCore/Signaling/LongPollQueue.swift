import DequeModule
import SignalingProtocol
import WireInput

/// The messages of one long-poll client on their way to its hanging GET
/// /wait, one per response (sans-IO; the shell holds the HTTP requests).
/// Nothing is lost on the way: a client that acknowledges (`/wait?ack=SEQ`)
/// gets an unacknowledged message again on its next /wait; for one that does
/// not, a response that could not be written goes out again (`undelivered`).
/// Bounded: a client that lets `maxQueue` messages pile up is to be signed
/// out. A client that neither waits nor polls for `expiry` has gone.
public struct LongPollQueue: Sendable {
    public struct Item: Sendable, Equatable {
        public let seq: UInt64
        /// The call's other party (the `Pragma` header).
        public let peer: String
        public let message: LongPollMessage
    }

    public static let maxQueue = 256
    /// How long a client may go without waiting or polling (µs).
    public let expiry: UInt64
    private var queue = Deque<Item>()
    private var nextSeq: UInt64 = 1
    /// The message last delivered to a client that acknowledges, until it does.
    private var inFlight: Item?
    private var acknowledges = false
    /// A /wait is parked for the next message.
    public private(set) var isWaiting = false
    private var lastSeen: UInt64

    public init(now: UInt64, expiry: UInt64) {
        lastSeen = now
        self.expiry = expiry
    }

    /// Queues the words of one event; false when the queue is full.
    public mutating func push(_ words: [(peer: String, message: LongPollMessage)]) -> Bool {
        for (peer, message) in words {
            guard queue.count < Self.maxQueue else { return false }
            queue.append(Item(seq: nextSeq, peer: peer, message: message))
            nextSeq += 1
        }
        return true
    }

    /// A /wait came, with the sequence number the client acknowledges if it
    /// does: it is parked (`isWaiting`) until `take` has something for it.
    public mutating func wait(ack: UInt64?, now: UInt64) {
        lastSeen = now
        if let ack {
            acknowledges = true
            if let sent = inFlight, sent.seq <= ack { inFlight = nil }
        }
        isWaiting = true
    }

    /// The message for the parked /wait, if there is one (the unacknowledged one first).
    public mutating func take(now: UInt64) -> Item? {
        guard isWaiting else { return nil }
        let item: Item
        if let sent = inFlight {
            item = sent                  // not acknowledged: the client did not get it
        } else if let next = queue.popFirst() {
            item = next
            if acknowledges { inFlight = item }
        } else {
            return nil
        }
        isWaiting = false
        lastSeen = now
        return item
    }

    /// Whether the client acknowledges what it got (else `undelivered` covers a lost response).
    public var acknowledgesReceipt: Bool { acknowledges }

    /// The parked /wait was answered empty (its time was up, or a newer one replaced it).
    public mutating func waitEnded(now: UInt64) {
        isWaiting = false
        lastSeen = now
    }

    /// A response that could not be written: the item goes out first on the next /wait.
    public mutating func undelivered(_ item: Item) { queue.prepend(item) }

    /// The client has gone: no /wait parked, and none for `expiry`.
    public func isExpired(now: UInt64) -> Bool {
        !isWaiting && now > WireNumber.deadline(lastSeen, plus: expiry)
    }
}
