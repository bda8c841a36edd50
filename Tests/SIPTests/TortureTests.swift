import Foundation
import SIP
import Testing

/// RFC 4475's torture messages (Tests/data/rfc4475, exact bytes; SOURCES.md there), through the
/// parser and the request checks, scored against the manifest's expectations.
/// Responses the RFC expects a UA core or registrar to give are checked in the
/// interop tests over UDP; here the parser and the stateless checks must get
/// every message to the right place and never crash.
struct TortureCase: CustomTestStringConvertible, Sendable {
    let name: String
    let file: String
    let kind: String
    let pass: [String]
    let alt: [String]
    var testDescription: String { name }
}

let tortureDirectory: URL = {
    var dir = URL(fileURLWithPath: #filePath)
    for _ in 0..<2 { dir.deleteLastPathComponent() }
    return dir.appendingPathComponent("data/rfc4475")
}()

func tortureCases() -> [TortureCase] {
    guard let data = try? Data(contentsOf: tortureDirectory.appendingPathComponent("manifest.json")),
          let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let messages = json["messages"] as? [[String: Any]] else { return [] }
    return messages.map { m in
        let expect = m["expect"] as? [String: [String]] ?? [:]
        return TortureCase(name: m["name"] as! String, file: m["file"] as! String, kind: m["kind"] as! String,
                           pass: expect["pass"] ?? [], alt: expect["alt"] ?? [])
    }
}

/// What the parser and the stateless checks make of a datagram: a status
/// code to answer with, "none" (dropped or a response), or "accepted".
func outcome(_ bytes: [UInt8]) -> String {
    do {
        let (message, _) = try SIPParser.parse(bytes, framing: .datagram)
        guard case .request(let request) = message else { return "none" }
        if let rejection = RequestValidator().validate(request) { return String(rejection.status.code) }
        return "accepted"
    } catch .unsupportedVersion {
        return "505"
    } catch {
        return bytes.starts(with: Array("SIP/".utf8)) ? "none" : "400"
    }
}

/// Whether an outcome meets a manifest token. "accepted" means the request
/// passed every stateless check and goes on to the UA core or registrar,
/// which answers 2xx, 401, 404 or 405 but never 400, 500 or 505.
func satisfies(_ outcome: String, _ token: String) -> Bool {
    let code = Int(outcome)
    switch token {
    case "none": return outcome == "none"
    case "final": return outcome != "none"
    case "error": return (code ?? 0) >= 400
    case "wellformed": return outcome == "accepted" || code.map { ![400, 500, 505].contains($0) } ?? false
    case "wellformed!483": return outcome == "accepted" || code.map { ![400, 483, 500, 505].contains($0) } ?? false
    case "2xx", "401", "404", "405": return outcome == "accepted" || outcome == token
    default: return outcome == token
    }
}

@Suite struct TortureTests {
    @Test func theArchiveIsThere() { #expect(tortureCases().count == 50) }

    @Test(arguments: tortureCases())
    func handledAsRFC4475Says(_ c: TortureCase) throws {
        let bytes = Array(try Data(contentsOf: tortureDirectory.appendingPathComponent(c.file)))
        let got = outcome(bytes)
        let ok = (c.pass + c.alt).contains { satisfies(got, $0) }
        #expect(ok, "\(c.name): got \(got), expected \(c.pass) or \(c.alt)")
    }
}
