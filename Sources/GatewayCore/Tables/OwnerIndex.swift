/// Keys (transactions, say) by the owner they belong to (a call, a
/// registration), both ways: the owner of a key in O(1), and all of an
/// owner's keys dropped at once when it goes, without a scan of every key.
public struct OwnerIndex<Key: Hashable & Sendable, Owner: Hashable & Sendable>: Sendable {
    private var ownerOf: [Key: Owner] = [:]
    private var keysOf: [Owner: Set<Key>] = [:]

    public init() {}

    public var count: Int { ownerOf.count }

    public subscript(key: Key) -> Owner? { ownerOf[key] }

    public mutating func add(_ key: Key, owner: Owner) {
        remove(key)
        ownerOf[key] = owner
        keysOf[owner, default: []].insert(key)
    }

    /// Forgets `key`; returns its owner.
    @discardableResult
    public mutating func remove(_ key: Key) -> Owner? {
        guard let owner = ownerOf.removeValue(forKey: key) else { return nil }
        keysOf[owner]?.remove(key)
        if keysOf[owner]?.isEmpty == true { keysOf[owner] = nil }
        return owner
    }

    /// Forgets every key of `owner`.
    public mutating func removeAll(of owner: Owner) {
        for key in keysOf.removeValue(forKey: owner) ?? [] { ownerOf[key] = nil }
    }
}
