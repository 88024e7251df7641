import { describe, expect, it } from "vitest";
import {
  BIT_RATE,
  DATA_SIZE,
  DURATION,
  FLOPS,
  formatBytes,
  formatDuration,
  parseBitRate,
  parseDataSize,
  parseDuration,
  parseFlops,
  parseQuantity,
  parseVolumeRate,
  stringPattern,
  UnitError,
  unitList,
  VOLUME_RATE,
} from "../../scenarios/units.js";
import { thrown } from "./thrown.js";

const error = (f: () => unknown): UnitError => thrown(UnitError, f);

describe("data sizes", () => {
  it.each([
    ["8 PB", 8e15],
    ["8PB", 8e15],
    ["500 GB", 500e9],
    ["1 B", 1],
    ["1 kB", 1000],
    ["2 MB", 2e6],
    ["3 TB", 3e12],
    ["1 EB", 1e18],
    ["0.05 PB", 5e13], // decimal prefixes are exact: not 0.05 x 1e15 = 50000000000000.01
    ["1e3 B", 1000],
    ["1 KiB", 1024],
    ["2 MiB", 2 * 1024 * 1024],
    ["1 GiB", 1073741824],
    ["1.5 TiB", 1.5 * 1099511627776],
    ["1 PiB", 1125899906842624],
    ["1 EiB", 1152921504606846976],
    ["  42  ", 42], // a bare number is bytes
    [42, 42],
    [0, 0],
  ] as const)("%j is %d bytes", (text, bytes) => {
    expect(parseDataSize(text)).toBe(bytes);
  });

  it("SI and binary prefixes differ: 1 TiB is 9.95% more than 1 TB", () => {
    expect(parseDataSize("1 TiB") / parseDataSize("1 TB")).toBeCloseTo(1.099511627776, 12);
  });

  it.each(["10 PBB", "8 pb", "8 KB", "8 Pb", "fast", "", "PB", "1 2 PB", "8 P B", "1..5 PB", "0x10 B"])(
    "rejects %j with the expected form and the value found",
    (text) => {
      const e = error(() => parseDataSize(text));
      expect(e.expected).toBe('a data size such as "8 PB"');
      expect(e.found).toBe(JSON.stringify(text));
      expect(e.message).toBe(`expected a data size such as "8 PB", found ${JSON.stringify(text)}`);
    },
  );

  it("rejects negative sizes, saying the bound", () => {
    expect(error(() => parseDataSize("-3 PB")).message).toBe('expected a data size >= 0 such as "8 PB", found "-3 PB"');
    expect(error(() => parseDataSize(-5)).message).toBe('expected a data size >= 0 such as "8 PB", found -5');
    expect(parseDataSize("-3 PB", "any")).toBe(-3e15);
    expect(error(() => parseDataSize(0, "positive")).expected).toBe('a data size > 0 such as "8 PB"');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, true, null, undefined, ["8 PB"], { PB: 8 }])("rejects %j", (value) => {
    expect(error(() => parseDataSize(value)).expected).toBe('a data size such as "8 PB"');
  });
});

describe("bit rates", () => {
  it.each([
    ["100 Gbit/s", 100e9],
    ["10 Gbps", 10e9],
    ["2.5 Mbit/s", 2.5e6],
    ["400 Mbps", 400e6],
    ["1 Tbit/s", 1e12],
    ["1 kbit/s", 1e3],
    ["7 bit/s", 7],
    ["7", 7], // a bare number is bit/s
    // byte rates: x 8
    ["1 B/s", 8],
    ["1 GB/s", 8e9],
    ["400 MB/s", 3.2e9],
    ["1.6 GB/s", 12.8e9],
    ["1 MiB/s", 8 * 1048576],
    ["1 TB/s", 8e12],
  ] as const)("%j is %d bit/s", (text, bps) => {
    expect(parseBitRate(text)).toBe(bps);
  });

  it.each(["fast", "10 Gb/s", "10 gbps", "10 GBps", "10 Gbit", "10 Gbit/ s"])("rejects %j", (text) => {
    expect(error(() => parseBitRate(text)).message).toBe(`expected a bit rate such as "100 Gbit/s", found ${JSON.stringify(text)}`);
  });
});

describe("durations", () => {
  it.each([
    ["90 s", 90],
    ["3 d", 3 * 86400],
    ["2 w", 14 * 86400],
    ["1 y", 365 * 86400],
    ["1 h", 3600],
    ["1.5 h", 5400],
    ["5 min", 300],
    ["250 ms", 0.25],
    ["3 days", 259200],
    ["1 week", 604800],
    ["52 w", 31449600],
    [600, 600], // a bare number is seconds
  ] as const)("%j is %d s", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(["3 dd", "3 m", "3 mins", "soon", "3 D", "1 month"])("rejects %j", (text) => {
    expect(error(() => parseDuration(text)).message).toBe(`expected a duration such as "3 d", found ${JSON.stringify(text)}`);
  });
});

describe("volume rates (bytes per week)", () => {
  it.each([
    ["3.5 PB/week", 3.5e15],
    ["14 PB/w", 14e15],
    ["500 TB/day", 3.5e15],
    ["1 PB/d", 7e15],
    ["1 TB/h", 168e12],
    ["1 GB/s", 604800e9],
    ["365 PB/year", 7e15],
    ["1 TiB/week", 1099511627776],
    [3.5e15, 3.5e15], // a bare number is bytes per week
  ] as const)("%j is %d bytes/week", (text, perWeek) => {
    expect(parseVolumeRate(text)).toBeCloseTo(perWeek, 0);
  });

  it.each(["3.5 PB", "3.5 PB/month", "3.5 PB/wk", "3.5 Pb/week", "lots"])("rejects %j", (text) => {
    expect(error(() => parseVolumeRate(text)).message).toBe(
      `expected a volume rate such as "3.5 PB/week", found ${JSON.stringify(text)}`,
    );
  });
});

describe("compute rates", () => {
  it.each([
    ["0.05 PFLOPS", 5e13],
    ["1 TFLOP/s", 1e12],
    ["20 PFLOPS", 2e16],
    [1e15, 1e15],
  ] as const)("%j is %d FLOP/s", (text, flops) => {
    expect(parseFlops(text)).toBe(flops);
  });
  it("rejects a typo", () => {
    expect(error(() => parseFlops("0.05 PFLOP")).expected).toBe('a compute rate such as "0.05 PFLOPS"');
  });
});

describe("JSON Schema patterns agree with the parser", () => {
  const kinds = [DATA_SIZE, BIT_RATE, DURATION, VOLUME_RATE, FLOPS];
  it.each(kinds.map((k) => [k.noun, k] as const))("%s: every unit matches, typos do not", (_noun, k) => {
    const re = new RegExp(stringPattern(k), "u");
    for (const unit of unitList(k)) {
      for (const text of [`1 ${unit}`, `2.5${unit}`, `1e3 ${unit}`]) {
        expect(re.test(text), text).toBe(true);
        expect(() => parseQuantity(k, text)).not.toThrow();
      }
    }
    for (const text of ["1 XB", "fast", "1 PBB", "1 dd", "1 Gb/s"]) {
      const parses = (() => {
        try {
          parseQuantity(k, text);
          return true;
        } catch {
          return false;
        }
      })();
      expect(re.test(text), text).toBe(parses);
    }
  });
});

describe("display", () => {
  it("formats bytes and durations for summaries", () => {
    expect(formatBytes(8e15)).toBe("8 PB");
    expect(formatBytes(1.48e18)).toBe("1.48 EB");
    expect(formatDuration(259200)).toBe("3 d");
    expect(formatDuration(31449600)).toBe("52 w");
    expect(formatDuration(90)).toBe("90 s");
    expect(formatDuration(5400)).toBe("90 min");
  });
});
