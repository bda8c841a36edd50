/// The order in which SRV targets are tried (RFC 2782): by priority, lowest
/// first; within a priority, a weighted random order, so that a target with
/// twice the weight is first twice as often. `pick(n)` returns a number in 0...n.
enum SRVOrder {
    struct Service {
        var priority: UInt16
        var weight: UInt16
        var port: UInt16
        var target: String
    }

    static func order(_ services: [Service], pick: (UInt32) -> UInt32) -> [Service] {
        let priorities = Set(services.map(\.priority)).sorted()
        return priorities.flatMap { priority in
            // Weight 0 first, as the RFC places them: such a target is picked only when the draw is 0.
            var left = services.filter { $0.priority == priority }.sorted { $0.weight < $1.weight }
            var ordered: [Service] = []
            while !left.isEmpty {
                let total = left.reduce(UInt32(0)) { $0 + UInt32($1.weight) }
                let chosen = pick(total)
                var running: UInt32 = 0
                let index = left.firstIndex { running += UInt32($0.weight); return running >= chosen } ?? left.count - 1
                ordered.append(left.remove(at: index))
            }
            return ordered
        }
    }
}
