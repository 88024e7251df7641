/**
 * Headless Chromium (Debian's, driven by playwright-core) for the dashboard tests and the render
 * benchmark: each launch gets a fresh temporary profile, removed again on close.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface OpenBrowser {
  /** Opens pages; a persistent context, since a fresh profile directory is wanted. */
  context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

export async function launch(): Promise<OpenBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "testbed-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  return {
    context,
    close: async () => {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

export interface PageReport {
  url: string;
  consoleErrors: string[];
  pageErrors: string[];
  /** Failed loads (a missing script, a blocked request). */
  failedRequests: string[];
  /** Per chart div: its id and the number of data points over all traces. */
  charts: { id: string; traces: number; points: number }[];
  rendered: boolean;
  /** Milliseconds from navigation start until every chart was drawn. */
  renderMs: number;
  /** Of which drawing the charts (after plotly.js and the page loaded). */
  drawMs: number;
}

/** Runs in the page: every chart div's traces and data points (plotly keeps `data` on the div). */
const INSPECT_CHARTS = `(() => {
  const count = (v) => (Array.isArray(v) || ArrayBuffer.isView(v) ? v.length : 0);
  const charts = Array.from(document.querySelectorAll(".plot")).map((d) => {
    const data = d.data || [];
    const points = data.reduce((n, t) => Array.isArray(t.z)
      ? n + t.z.reduce((m, row) => m + count(row), 0)
      : n + Math.max(count(t.x), count(t.y), count(t.values)), 0);
    return { id: d.id, traces: data.length, points };
  });
  const dash = window.__dashboard;
  return { charts, rendered: dash ? dash.rendered : document.body.dataset.rendered === "true", renderMs: dash && dash.sinceNavigationMs ? dash.sinceNavigationMs : 0, drawMs: dash && dash.renderMs ? dash.renderMs : 0 };
})()`;

/**
 * Opens a page of the site (a file path, or an http:// URL), waits until its charts are drawn,
 * and reports what the browser saw.
 */
export async function inspect(ctx: { newPage(): Promise<Page> }, file: string, timeoutMs = 30_000): Promise<PageReport> {
  const page = await ctx.newPage();
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("requestfailed", (r) => failedRequests.push(`${r.url()}: ${r.failure()?.errorText ?? "failed"}`));
  try {
    const url = /^https?:/.test(file) ? file : pathToFileURL(file).href;
    await page.goto(url, { waitUntil: "load", timeout: timeoutMs });
    await page.waitForFunction('document.body.dataset.rendered === "true" || window.__dashboard !== undefined', null, { timeout: timeoutMs });
    // A string, not a function: the TypeScript loader would add helpers the page does not have.
    const result = (await page.evaluate(INSPECT_CHARTS)) as Pick<PageReport, "charts" | "rendered" | "renderMs" | "drawMs">;
    return { url, consoleErrors, pageErrors, failedRequests, ...result };
  } finally {
    await page.close();
  }
}
