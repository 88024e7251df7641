/** The CI templates for service developers parse as YAML and run what they should, in order. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ci = (name: string) => {
  const text = readFileSync(join(import.meta.dirname, "..", "..", "dashboards", "ci", name), "utf8");
  return { text, doc: parse(text) as Record<string, unknown> };
};

const CAMPAIGN = /testbed campaign run smoke --target local --out "?results\//;
const COMPARE = /testbed bench compare --baseline results\/baseline --candidate results\/candidate/;
const BUILD = /testbed dashboard build results --out/;

describe("CI templates", () => {
  it("GitHub Actions: campaign, compare, dashboard, Pages artifact and deployment", () => {
    const { doc } = ci("github-actions.yml");
    const jobs = doc.jobs as Record<string, { steps: { run?: string; uses?: string; if?: string }[]; needs?: string }>;
    expect(Object.keys(jobs)).toEqual(["benchmark", "publish"]);
    const steps = jobs.benchmark!.steps;
    const at = (re: RegExp) => steps.findIndex((s) => (s.run !== undefined && re.test(s.run)) || (s.uses !== undefined && re.test(s.uses)));
    const order = [CAMPAIGN, COMPARE, BUILD, /^actions\/upload-pages-artifact@/].map(at);
    expect(order.every((i) => i >= 0), String(order)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(jobs.publish!.needs).toBe("benchmark");
    expect(jobs.publish!.steps[0]!.uses).toMatch(/^actions\/deploy-pages@/);
    expect((doc.permissions as Record<string, string>).pages).toBe("write");
  });

  it("GitLab CI: campaign, compare, dashboard in one job; a pages job publishes public/", () => {
    const { doc } = ci("gitlab-ci.yml");
    const job = doc["srcnet-benchmark"] as { script: string[]; artifacts: { paths: string[] } };
    const script = job.script.join("\n");
    for (const re of [CAMPAIGN, COMPARE, BUILD]) expect(script).toMatch(re);
    expect(script.search(CAMPAIGN)).toBeLessThan(script.search(COMPARE));
    expect(script.search(COMPARE)).toBeLessThan(script.search(BUILD));
    expect(job.artifacts.paths).toContain("public/");
    const pages = doc.pages as { stage: string; artifacts: { paths: string[] } };
    expect(pages.artifacts.paths).toEqual(["public/"]);
    expect(doc.stages).toContain(pages.stage);
  });
});
