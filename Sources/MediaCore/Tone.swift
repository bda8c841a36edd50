import Foundation

/// A sine tone as 16-bit PCM, continuous across calls.
public struct SineTone {
    public let frequency: Double
    public let sampleRate: Double
    public let amplitude: Double
    private var phase = 0.0

    /// `level` in dBFS (0 = full scale sine peak).
    public init(frequency: Double, sampleRate: Double, levelDBFS level: Double = -12) {
        self.frequency = frequency
        self.sampleRate = sampleRate
        self.amplitude = 32767 * pow(10, level / 20)
    }

    public mutating func next(_ count: Int) -> [Int16] {
        let step = 2 * Double.pi * frequency / sampleRate
        return (0..<count).map { _ in
            let s = Int16(amplitude * sin(phase))
            phase = (phase + step).truncatingRemainder(dividingBy: 2 * Double.pi)
            return s
        }
    }
}

/// Measurements of received audio: how a test or the demo tells a tone from
/// silence or noise.
public enum ToneAnalysis {
    /// Level of a pure tone of `frequency` in the samples (Goertzel), in dBFS
    /// relative to a full-scale sine.
    public static func toneLevel(_ samples: ArraySlice<Int16>, frequency: Double, sampleRate: Double) -> Double {
        guard !samples.isEmpty else { return -.infinity }
        let w = 2 * Double.pi * frequency / sampleRate
        let coeff = 2 * cos(w)
        var s1 = 0.0, s2 = 0.0
        for x in samples {
            let s0 = Double(x) / 32768 + coeff * s1 - s2
            s2 = s1
            s1 = s0
        }
        let power = s1 * s1 + s2 * s2 - coeff * s1 * s2
        let amplitude = 2 * sqrt(max(power, 0)) / Double(samples.count)
        return 20 * log10(max(amplitude, 1e-12))
    }

    /// RMS level in dBFS relative to a full-scale sine (a full-scale sine is 0 dB).
    public static func rmsLevel(_ samples: ArraySlice<Int16>) -> Double {
        guard !samples.isEmpty else { return -.infinity }
        let sum = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        let rms = sqrt(sum / Double(samples.count)) / 32768
        return 20 * log10(max(rms * 2.0.squareRoot(), 1e-12))
    }

    /// The strongest frequency among `candidates` by Goertzel power.
    public static func dominantFrequency(_ samples: ArraySlice<Int16>, sampleRate: Double,
                                         candidates: [Double]) -> Double {
        candidates.max { toneLevel(samples, frequency: $0, sampleRate: sampleRate)
                       < toneLevel(samples, frequency: $1, sampleRate: sampleRate) } ?? 0
    }
}
