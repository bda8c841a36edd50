import MediaTypes
import SDP

/// A new offer from the browser in an answered call (the Genesys client
/// re-offers to hold, `a=inactive`, and to resume): answered from our first
/// answer with the direction that answers the new one and a newer o=
/// version (RFC 3264 §8). An offer with new ICE credentials or a new DTLS
/// fingerprint comes from a new peer connection and needs a new browser leg.
enum BrowserReoffer {
    /// Whether `offer` comes from another peer connection than `first` did.
    static func isNewConnection(_ offer: SessionDescription, first: SessionDescription) -> Bool {
        guard let audio = offer.media.first(where: { $0.kind == "audio" && !$0.isRejected }),
              let firstAudio = first.media.first(where: { $0.kind == "audio" }) else { return false }
        return offer.attribute("ice-ufrag", in: audio) != first.attribute("ice-ufrag", in: firstAudio)
            || offer.fingerprints(in: audio) != first.fingerprints(in: firstAudio)
    }

    /// Whether the browser holds, and our answer; nil when the offer is not one we can answer this way.
    static func answer(_ offer: SessionDescription, first: SessionDescription, ours: SessionDescription)
        -> (hold: Bool, answer: SessionDescription)? {
        guard let audio = offer.media.first(where: { $0.kind == "audio" && !$0.isRejected }),
              !isNewConnection(offer, first: first),
              let index = ours.media.firstIndex(where: { $0.kind == "audio" }) else { return nil }
        let theirs = audio.direction
        var answer = ours
        answer.origin.sessionVersion &+= 1
        answer.media[index].attributes.removeAll { MediaDirection(rawValue: $0.name) != nil }
        answer.media[index].attributes.append(Attribute(theirs.reversed.rawValue))
        return (theirs == .sendonly || theirs == .inactive, answer)
    }

}
