import HeapModule

/// The deadlines of many owners (registrations, calls) behind one timer,
/// earliest first. Setting an owner's deadline again replaces it: the old
/// entry stays in the heap and is skipped when it comes up. No scan of the
/// owners per message or per tick: a gateway holds thousands of them.
public struct DeadlineQueue<Owner: Hashable & Sendable>: Sendable {
    private struct Entry: Comparable, Sendable {
        let at: UInt64
        let owner: Owner
        static func < (a: Entry, b: Entry) -> Bool { a.at < b.at }
    }

    private var heap = Heap<Entry>()
    private var current: [Owner: UInt64] = [:]

    public init() {}

    public var isEmpty: Bool { current.isEmpty }

    /// `owner`'s deadline from now on (nil: none).
    public mutating func set(_ owner: Owner, at deadline: UInt64?) {
        guard let deadline else {
            current[owner] = nil
            return
        }
        guard current[owner] != deadline else { return }
        current[owner] = deadline
        heap.insert(Entry(at: deadline, owner: owner))
        // Replaced entries are dropped lazily; rebuild before they outnumber the live ones.
        if heap.count > 2 * current.count + 64 {
            heap = Heap(current.map { Entry(at: $0.value, owner: $0.key) })
        }
    }

    /// The earliest deadline.
    public mutating func next() -> UInt64? {
        while let top = heap.min, current[top.owner] != top.at { heap.removeMin() }
        return heap.min?.at
    }

    /// The owners whose deadline has come, earliest first; each is removed
    /// (whoever handles it sets its next deadline).
    public mutating func due(now: UInt64) -> [Owner] {
        var owners: [Owner] = []
        while let at = next(), at <= now, let top = heap.popMin() {
            current[top.owner] = nil
            owners.append(top.owner)
        }
        return owners
    }
}
