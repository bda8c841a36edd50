import Testing
import WireInput

@Suite struct WireNumberTests {
    @Test func deltaSecondsSaturatesInsteadOfOverflowing() {
        #expect(WireNumber.deltaSeconds("100000000000000") == Int(UInt32.max))
        #expect(WireNumber.deltaSeconds(String(repeating: "9", count: 400)) == Int(UInt32.max))
        #expect(WireNumber.deltaSeconds(String(repeating: "0", count: 100)) == 0)
        #expect(WireNumber.deltaSeconds("1800") == 1800)
    }

    @Test func signsSpacesAndEmptyAreNotNumbers() {
        for text in ["", "-5", "+5", " 5", "5 ", "0x10", "٣"] { #expect(WireNumber.deltaSeconds(text) == nil, "\(text)") }
    }

    @Test func exactRefusesWhatDoesNotFit() {
        #expect(WireNumber.exact("65535", as: UInt16.self) == 65535)
        #expect(WireNumber.exact("65536", as: UInt16.self) == nil)
        #expect(WireNumber.exact("18446744073709551616", as: UInt64.self) == nil)
        #expect(WireNumber.exact("+1", as: UInt8.self) == nil)
    }

    @Test func durationsSaturate() {
        #expect(WireNumber.microseconds(seconds: Int(UInt32.max)) == 4_294_967_295_000_000)
        #expect(WireNumber.microseconds(seconds: Int.max) == UInt64.max)
        #expect(WireNumber.microseconds(seconds: -3) == 0)
        #expect(WireNumber.deadline(UInt64.max - 5, plus: 10) == UInt64.max)
    }

    @Test func checkedAccessAndSplitOnce() {
        let fields = ["a"]
        #expect(fields[ifPresent: 0] == "a")
        #expect(fields[ifPresent: 1] == nil)
        #expect(fields[ifPresent: -1] == nil)
        let (head, tail) = ";".splitOnce(";")
        #expect(head.isEmpty && tail == "")
        #expect("abc".splitOnce("=").tail == nil)
    }
}
