import type { TransferScenario } from "../sim/transfers/model.js";

/**
 * The embedded default: one simulated day of replication transfers between four SRCNet sites.
 * Latencies are one-way, from great-circle distance at about 2/3 c plus routing overhead
 * (Perth-Europe about 130 ms, within Europe 10-20 ms). Bandwidths are round numbers of the
 * order SRCNet 0.1 sites connect with (100 Gbit/s in Europe, 40 Gbit/s to Australia).
 * Transfers: one every 20 s on average, median 20 GB, log-normal (sigma 1).
 */
export const defaultScenario: TransferScenario = {
  name: "default-transfers",
  seed: 1,
  durationSeconds: 86_400,
  sharing: "latency-weighted",
  sampleIntervalSeconds: 600,
  sites: [
    { name: "AUSSRC", accessBitsPerSecond: 100e9 },
    { name: "SPSRC", accessBitsPerSecond: 100e9 },
    { name: "UKSRC", accessBitsPerSecond: 100e9 },
    { name: "CHSRC", accessBitsPerSecond: 100e9 },
  ],
  wan: [
    { a: "AUSSRC", b: "SPSRC", bitsPerSecond: 40e9, latencySeconds: 0.13 },
    { a: "AUSSRC", b: "UKSRC", bitsPerSecond: 40e9, latencySeconds: 0.135 },
    { a: "AUSSRC", b: "CHSRC", bitsPerSecond: 40e9, latencySeconds: 0.13 },
    { a: "SPSRC", b: "UKSRC", bitsPerSecond: 100e9, latencySeconds: 0.015 },
    { a: "SPSRC", b: "CHSRC", bitsPerSecond: 100e9, latencySeconds: 0.012 },
    { a: "UKSRC", b: "CHSRC", bitsPerSecond: 100e9, latencySeconds: 0.01 },
  ],
  transfers: { arrivalsPerSecond: 1 / 20, medianBytes: 20e9, sigma: 1, windowBytes: 256 * 2 ** 20 },
};
