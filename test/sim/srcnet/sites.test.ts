import { describe, expect, it } from "vitest";
import { SiteStatus } from "../../../sim/srcnet/components/sites.js";

describe("site status", () => {
  it("keeps a site down until the last of overlapping faults ends", () => {
    const s = new SiteStatus(3);
    expect(s.upMask).toBe(0b111);
    expect(s.goDown(1)).toBe(true);
    expect(s.goDown(1)).toBe(false); // a second fault only extends the outage
    expect(s.upMask).toBe(0b101);
    expect(s.downCount).toBe(1);
    expect(s.comeUp(1)).toBe(false);
    expect(s.up[1]).toBe(false);
    expect(s.comeUp(1)).toBe(true);
    expect(s.up).toEqual([true, true, true]);
    expect(s.upMask).toBe(0b111);
  });

  it("refuses more sites than a copies mask can hold", () => {
    expect(() => new SiteStatus(31)).toThrow(/at most 30 sites/);
  });
});
