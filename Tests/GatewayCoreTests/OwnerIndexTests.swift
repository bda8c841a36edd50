import GatewayCore
import Testing

@Suite struct OwnerIndexTests {
    @Test func keysByOwnerBothWays() {
        var index = OwnerIndex<Int, String>()
        index.add(1, owner: "call-a")
        index.add(2, owner: "call-a")
        index.add(3, owner: "call-b")
        #expect(index[2] == "call-a" && index.count == 3)
        #expect(index.remove(2) == "call-a" && index[2] == nil)
        index.removeAll(of: "call-a")
        #expect(index[1] == nil && index[3] == "call-b" && index.count == 1)
        index.add(3, owner: "call-c")                // a key changes owner
        index.removeAll(of: "call-b")
        #expect(index[3] == "call-c")
    }
}
