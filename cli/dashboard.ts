import type { Command } from "commander";
import { progress } from "./progress.js";

export function registerDashboard(program: Command): void {
  const dashboard = program.command("dashboard").description("publish run records as a static site");
  dashboard
    .command("build")
    .description("build a static site (no server, no CDN) from the run records under the given folders")
    .argument("<results-dir...>", "folders holding run records (searched recursively) or run directories")
    .requiredOption("--out <dir>", "site directory to write (replaced if it is a site built before)")
    .option("--thresholds <file>", "regression thresholds (YAML) for the history pages")
    .option("--no-progress", "do not show progress on stderr")
    .action(async (dirs: string[], opts: { out: string; thresholds?: string; progress: boolean }) => {
      // Heavy modules load only when a command runs, so that --help and errors answer at once.
      const { loadThresholds, thresholdsFrom } = await import("../dashboards/regression/config.js");
      const thresholds = opts.thresholds === undefined ? thresholdsFrom() : loadThresholds(opts.thresholds);
      const { buildSite } = await import("../dashboards/site/build.js");
      let bar: ReturnType<typeof progress> | null = null;
      const r = buildSite(dirs, opts.out, {
        thresholds,
        onProgress: (done, total) => {
          // A handful of pages is done before a bar would say anything useful.
          bar ??= progress(total, "pages", 1, opts.progress && total >= 20);
          bar.update(done);
        },
      });
      (bar as ReturnType<typeof progress> | null)?.stop();
      for (const p of r.problems) process.stderr.write(`warning: ${p}\n`);
      const regressions = r.histories.reduce((n, h) => n + h.regressions, 0);
      process.stdout.write(
        `${r.runs} runs, ${r.sweeps} sweeps, ${r.histories.length} histories${regressions > 0 ? ` (${regressions} metrics with regressions)` : ""}, ` +
          `${r.comparisons} simulated-vs-measured pages: ${r.pages.length} pages\nsite: ${r.out}/index.html\n`,
      );
    });
}
