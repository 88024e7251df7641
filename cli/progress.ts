import cliProgress from "cli-progress";

/**
 * Progress of long work on stderr: a bar on a terminal; on a pipe or in CI, a plain line at
 * every tenth of the way, so logs stay readable.
 */
export interface Progress {
  update(value: number): void;
  stop(): void;
}

export function progress(total: number, unit: string, scale = 1, enabled = true): Progress {
  if (!enabled) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `{bar} {percentage}% | {shown}/{max} ${unit} | {duration_formatted}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    const max = (total / scale).toFixed(1);
    bar.start(total, 0, { shown: "0.0", max });
    return {
      update: (v) => bar.update(Math.min(v, total), { shown: (v / scale).toFixed(1), max }),
      stop: () => bar.stop(),
    };
  }
  let nextTenth = 1;
  return {
    update: (v) => {
      while (v >= (total * nextTenth) / 10 && nextTenth <= 10) {
        process.stderr.write(`progress: ${((total * nextTenth) / 10 / scale).toFixed(1)} of ${(total / scale).toFixed(1)} ${unit}\n`);
        nextTenth++;
      }
    },
    stop: () => {},
  };
}
