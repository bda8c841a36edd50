// The test pages' ear: the strongest frequency of a far end's stream, and its level.

/** A meter on `stream`: `measure()` gives `{ peakHz, peakDb }` (dBFS). */
export function meter(stream) {
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 8192;
  ctx.createMediaStreamSource(stream).connect(analyser);
  return {
    measure() {
      const bins = new Float32Array(analyser.frequencyBinCount);
      analyser.getFloatFrequencyData(bins);
      let peak = 1;
      for (let i = 2; i < bins.length; i++) if (bins[i] > bins[peak]) peak = i;
      return { peakHz: (peak * ctx.sampleRate) / analyser.fftSize, peakDb: bins[peak] };
    },
  };
}
