import { execFileSync } from "node:child_process";

/** Helpers shared by the benchmark scripts: medians, peer invocation, aligned output. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs a peer program that prints one line of JSON on stdout. */
export function runPeer<T>(command: string, args: string[]): T {
  const out = execFileSync(command, args, { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26 }).toString();
  return JSON.parse(out.trim().split("\n").pop()!) as T;
}

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export function printTable(title: string, rows: [string, string][]): void {
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${title}\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
}

/** Peak resident set of this process so far, bytes. */
export const peakRss = () => process.resourceUsage().maxRSS * 1024;
