/// Access to parts of what came off the wire that cannot trap: a field that
/// is not there is `nil`, never an out-of-range index.
extension Collection {
    /// The element at `position`, or nil when the collection has none there.
    @inlinable
    public subscript(ifPresent position: Index) -> Element? {
        indices.contains(position) ? self[position] : nil
    }
}

extension StringProtocol {
    /// Splits at the first `separator`: the part before it and, when there is
    /// one, the part after. Unlike `split`, the first part always exists (it
    /// may be empty), so no field index can be missing.
    @inlinable
    public func splitOnce(_ separator: Character) -> (head: SubSequence, tail: SubSequence?) {
        guard let at = firstIndex(of: separator) else { return (self[...], nil) }
        return (self[..<at], self[index(after: at)...])
    }
}
