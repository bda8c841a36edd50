/// The header fields every layer reads (top Via, From, To, CSeq, Call-ID,
/// the first Contact), parsed when a field enters the message - off the
/// wire, or set by us - so that transactions, dialogs and the call model
/// read values rather than text. A field that does not parse keeps its
/// error, for the request checks to answer with (§8.2).
public struct SIPCoreHeaders: Equatable, Sendable {
    public internal(set) var topVia: Result<Via, SIPParseError>?
    public internal(set) var from: Result<NameAddress, SIPParseError>?
    public internal(set) var to: Result<NameAddress, SIPParseError>?
    public internal(set) var cseq: Result<CSeq, SIPParseError>?
    /// The first Contact (a failure for `*`, which only a REGISTER may send).
    public internal(set) var contact: Result<NameAddress, SIPParseError>?

    /// Which core field a canonical header name is, if any.
    enum Field { case via, from, to, cseq, contact }

    static func field(_ name: String) -> Field? {
        switch name.utf8.count {
        case 2: SIPHeaders.sameName(name, "To") ? .to : nil
        case 3: SIPHeaders.sameName(name, "Via") ? .via : nil
        case 4: SIPHeaders.sameName(name, "From") ? .from : SIPHeaders.sameName(name, "CSeq") ? .cseq : nil
        case 7: SIPHeaders.sameName(name, "Contact") ? .contact : nil
        default: nil
        }
    }

    /// Whether `field` is in the message (read, or unreadable; a `Contact: *` counts).
    func has(_ field: Field) -> Bool {
        switch field {
        case .via: topVia != nil
        case .from: from != nil
        case .to: to != nil
        case .cseq: cseq != nil
        case .contact: contact != nil
        }
    }

    /// Parses `field` again from `headers` (after one of its fields changed).
    mutating func refresh(_ field: Field, in headers: SIPHeaders) {
        func parse<T>(_ value: String?, _ make: (String) throws(SIPParseError) -> T) -> Result<T, SIPParseError>? {
            guard let value else { return nil }
            do { return .success(try make(value)) } catch { return .failure(error) }
        }
        switch field {
        case .via: topVia = parse(Self.firstValue(headers["Via"])) { v throws(SIPParseError) in try Via(parsing: v) }
        case .from: from = parse(headers["From"]) { v throws(SIPParseError) in try NameAddress(parsing: v) }
        case .to: to = parse(headers["To"]) { v throws(SIPParseError) in try NameAddress(parsing: v) }
        case .cseq: cseq = parse(headers["CSeq"]) { v throws(SIPParseError) in try CSeq(parsing: v) }
        case .contact:
            contact = parse(Self.firstValue(headers["Contact"])) { v throws(SIPParseError) in
                guard SIPText.trim(Substring(v)) != "*" else { throw .badHeader("Contact * is no address") }
                return try NameAddress(parsing: v)
            }
        }
    }

    /// The first of a field's comma-separated values (§7.3.1).
    private static func firstValue(_ field: String?) -> String? { field.flatMap { SIPText.splitCommas($0).first } }
}

extension SIPHeaders {
    /// The top Via, parsed (nil: none, or unreadable).
    public var topVia: Via? { try? core.topVia?.get() }
    public var from: NameAddress? { try? core.from?.get() }
    public var to: NameAddress? { try? core.to?.get() }
    public var cseq: CSeq? { try? core.cseq?.get() }
    /// The first Contact, parsed.
    public var contact: NameAddress? { try? core.contact?.get() }
    public var callID: String? { self["Call-ID"] }
}
