/// Header fields in wire order. Names compare case-insensitively and compact
/// forms (RFC 3261 §7.3.3) are expanded on parsing, so `headers["Via"]` finds `v:`.
public struct SIPHeaders: Equatable, Sendable, Sequence {
    public struct Field: Equatable, Sendable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field] = []
    /// The fields every layer reads, parsed as they enter.
    public private(set) var core = SIPCoreHeaders()

    public init(_ fields: [(String, String)] = []) {
        for (n, v) in fields { add(n, v) }
    }

    static let compactForms: [String: String] = [
        "i": "Call-ID", "m": "Contact", "e": "Content-Encoding", "l": "Content-Length", "c": "Content-Type",
        "f": "From", "s": "Subject", "k": "Supported", "t": "To", "v": "Via", "o": "Event", "r": "Refer-To",
        "b": "Referred-By", "u": "Allow-Events", "x": "Session-Expires", "y": "Identity", "a": "Accept-Contact",
        "d": "Request-Disposition", "j": "Reject-Contact", "n": "Identity-Info",
    ]

    static func canonical(_ name: String) -> String {
        name.utf8.count == 1 ? compactForms[name.lowercased()] ?? name : name
    }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }

    /// ASCII case-insensitive equality without allocating.
    static func sameName(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        var i = a.utf8.makeIterator(), j = b.utf8.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return true
            case (let x?, let y?): if lower(x) != lower(y) { return false }
            default: return false
            }
        }
    }

    mutating func reserve(_ n: Int) { fields.reserveCapacity(n) }

    public mutating func add(_ name: String, _ value: String) {
        let n = Self.canonical(name)
        fields.append(Field(n, value))
        // Only the first field of a name is a core field's: a later one changes nothing (and a message of
        // many Via lines costs one parse, not one per line).
        if let field = SIPCoreHeaders.field(n), !core.has(field) { core.refresh(field, in: self) }
    }

    private mutating func changed(_ name: String) {
        if let field = SIPCoreHeaders.field(name) { core.refresh(field, in: self) }
    }

    /// Replaces every field of `name` with one.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        let n = Self.canonical(name)
        fields.removeAll { Self.sameName($0.name, n) }
        changed(n)
    }

    /// Inserts a field before all others (a proxy's Via, a Record-Route).
    public mutating func prepend(_ name: String, _ value: String) {
        let n = Self.canonical(name)
        fields.insert(Field(n, value), at: 0)
        changed(n)
    }

    /// Replaces the top Via value (the first of the first Via field) with `top`; the others stay in order,
    /// and the Via fields go before all others.
    public mutating func replaceTopVia(with top: String) {
        var vias = values("Via")
        guard !vias.isEmpty else { return }
        vias[0] = top
        fields.removeAll { Self.sameName($0.name, "Via") }
        fields.insert(contentsOf: vias.map { Field("Via", $0) }, at: 0)
        changed("Via")
    }

    /// The first field's value.
    public subscript(name: String) -> String? {
        let n = Self.canonical(name)
        return fields.first { Self.sameName($0.name, n) }?.value
    }

    /// Every field's value, in order (one entry per header line).
    public func all(_ name: String) -> [String] {
        let n = Self.canonical(name)
        return fields.filter { Self.sameName($0.name, n) }.map(\.value)
    }

    /// Every comma-separated value of every field of `name` (RFC 3261 §7.3.1),
    /// splitting outside quoted strings and angle brackets.
    public func values(_ name: String) -> [String] {
        all(name).flatMap(SIPText.splitCommas)
    }

    public func count(_ name: String) -> Int { all(name).count }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}
