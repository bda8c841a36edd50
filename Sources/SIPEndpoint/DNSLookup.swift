import CGatewayDNS
import NIOCore
import SIP

/// A DNS query run through the C library's resolver (blocking: on a thread
/// pool, never on an event loop), its answer read into records.
enum DNSLookup {
    static let maxRecords = 32
    /// The TTL given to an address found in the hosts file rather than in DNS.
    static let hostsFileTTL: UInt32 = 300

    static func run(_ query: DNSQuery) -> DNSAnswer {
        let type: Int32 = switch query.kind {
        case .a: Int32(GWM_DNS_A)
        case .aaaa: Int32(GWM_DNS_AAAA)
        case .srv: Int32(GWM_DNS_SRV)
        }
        var message = [UInt8](repeating: 0, count: 8192)
        let length = gwm_dns_query(query.name, type, &message, message.count)
        guard length > 0 else {
            // Not in DNS: a name of the hosts file (as getaddrinfo would find it) is still a name.
            if query.kind != .srv, let address = hostsFileAddress(query) { return .records([address]) }
            return length == 0 ? .records([]) : .failed
        }
        var records = [gwm_dns_record](repeating: gwm_dns_record(), count: maxRecords)
        let count = gwm_dns_parse(message, Int(length), type, &records, records.count)
        guard count >= 0 else { return .failed }
        return .records(records.prefix(Int(count)).map { record in
            let value = withUnsafeBytes(of: record.value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let data: DNSRecord.Data = query.kind == .srv
                ? .service(priority: record.priority, weight: record.weight, port: record.port, target: value)
                : .address(value)
            return DNSRecord(data, ttl: record.ttl)
        })
    }

    private static func hostsFileAddress(_ query: DNSQuery) -> DNSRecord? {
        guard let address = (try? SocketAddress.makeAddressResolvingHost(query.name, port: 0))?.ipAddress,
              address.contains(":") == (query.kind == .aaaa) else { return nil }
        return DNSRecord(.address(address), ttl: hostsFileTTL)
    }
}
