/// What a client may put in names, numbers and ids: nothing of SIP, SDP or
/// JSON syntax can ride in through them.
public enum SignalingToken {
    public static func isUser(_ s: String) -> Bool { isToken(s, max: 64, extra: "._-+") }
    public static func isNumber(_ s: String) -> Bool { isToken(s, max: 64, extra: "._-+*#") }
    public static func isCallID(_ s: String) -> Bool { isToken(s, max: 40, extra: "-_") }
    public static func isDTMF(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 64 && s.allSatisfy { "0123456789*#ABCDabcd,".contains($0) }
    }

    private static func isToken(_ s: String, max: Int, extra: String) -> Bool {
        !s.isEmpty && s.utf8.count <= max && s.utf8.allSatisfy { b in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || extra.utf8.contains(b)
        }
    }
}
