/// Numbers from the wire, converted once, without a trap: durations saturate,
/// counts and ports are refused when out of range.
public enum WireNumber {
    /// RFC 3261 delta-seconds (and SDP/HTTP durations): 1*DIGIT, no sign.
    /// Values past 2^32-1 are taken as 2^32-1, as RFC 3261 §20.19 says of
    /// Expires; leading zeros of any length are fine (RFC 4475 §3.1.2.7).
    public static func deltaSeconds(_ text: some StringProtocol) -> Int? {
        decimal(text, saturatingAt: Int(UInt32.max))
    }

    /// A decimal number of digits only, saturating at `limit`; nil when empty
    /// or when anything but a digit appears.
    public static func decimal(_ text: some StringProtocol, saturatingAt limit: Int) -> Int? {
        var value = 0
        var any = false
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            any = true
            if value < limit {
                value = min(limit, value &* 10 &+ Int(byte - UInt8(ascii: "0")))
                if value < 0 { value = limit }
            }
        }
        return any ? value : nil
    }

    /// A decimal number that must fit `T` exactly (ports, payload types, counts):
    /// digits only, nil when out of range.
    public static func exact<T: FixedWidthInteger & UnsignedInteger>(_ text: some StringProtocol, as: T.Type = T.self) -> T? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return T(text, radix: 10)
    }

    /// Seconds to the cores' microsecond clock, saturating instead of overflowing.
    public static func microseconds(seconds: some BinaryInteger) -> UInt64 {
        guard seconds > 0 else { return 0 }
        let (product, overflow) = UInt64(clamping: seconds).multipliedReportingOverflow(by: 1_000_000)
        return overflow ? UInt64.max : product
    }

    /// `now` plus a duration in microseconds, saturating: a deadline so far
    /// away it never comes, rather than a trap.
    public static func deadline(_ now: UInt64, plus microseconds: UInt64) -> UInt64 {
        let (sum, overflow) = now.addingReportingOverflow(microseconds)
        return overflow ? UInt64.max : sum
    }
}
