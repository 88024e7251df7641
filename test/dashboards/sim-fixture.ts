/** Running the real CLI from the dashboard tests: as a process, or its commands in this process. */
import { spawn } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");

/** Runs `testbed ...`; resolves with its exit code, stdout and stderr. */
export function testbed(args: string[], cwd = ROOT): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(ROOT, "bin", "testbed.mjs"), ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs a `testbed sim` or `testbed dashboard` command in this process (the CLI's own code, without its start-up time). */
export async function testbedInProcess(args: string[]): Promise<void> {
  const { Command } = await import("commander");
  const { registerSim } = await import("../../cli/sim.js");
  const { registerDashboard } = await import("../../cli/dashboard.js");
  const program = new Command().name("testbed").exitOverride();
  registerSim(program);
  registerDashboard(program);
  await program.parseAsync(args, { from: "user" });
}
