/// Identifiers and keys from the system's CSPRNG.
public enum Random {
    /// Letters and digits: valid in ICE credentials, CNAMEs and URLs alike.
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    public static func token(_ length: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet.randomElement(using: &rng)! })
    }

    public static func digits(_ length: Int) -> String { String((0..<length).map { _ in "0123456789".randomElement()! }) }

    public static func bytes(_ count: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    public static func ssrc() -> UInt32 { UInt32.random(in: 1...UInt32.max) }
}
