/**
 * A local Slurm cluster held in the foreground, for trying `testbed sim sweep --engine slurm` on a
 * laptop (scripts/local-slurm.sh):
 *
 *   bash scripts/local-slurm.sh [--nodes N]   start it; prints the SLURM_CONF to export; Ctrl-C stops it
 *   bash scripts/local-slurm.sh down <dir>    stop one whose holder was killed (by its pid file)
 */
import { Cause, Effect, Exit, Fiber } from "effect";
import { localSlurm, stopLocalSlurmDir } from "./local-slurm.js";

const log = (l: string) => process.stderr.write(`local-slurm: ${l}\n`);
const [command, ...rest] = process.argv.slice(2);

if (command === "down") {
  if (rest[0] === undefined) {
    process.stderr.write("usage: local-slurm.sh down <cluster dir>\n");
    process.exit(2);
  }
  await Effect.runPromise(stopLocalSlurmDir(rest[0], log));
} else {
  const args = command === undefined ? [] : [command, ...rest];
  const nodes = args[0] === "--nodes" ? Number(args[1]) : 3;
  if ((args.length > 0 && args[0] !== "--nodes") || !Number.isInteger(nodes) || nodes < 1 || nodes > 64) {
    process.stderr.write(`usage: local-slurm.sh [--nodes N] | down <cluster dir>\n`);
    process.exit(2);
  }
  const fiber = Effect.runFork(
    Effect.scoped(
      Effect.gen(function* () {
        const c = yield* localSlurm({ nodes, log });
        process.stdout.write(`export SLURM_CONF=${c.conf}\n`);
        log(`partition ${c.partition}, nodes ${c.nodes.join(" ")}; Ctrl-C stops the cluster`);
        return yield* Effect.never;
      }),
    ),
  );
  const stop = () => Effect.runFork(Fiber.interrupt(fiber));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const exit = await Effect.runPromise(Fiber.await(fiber));
  if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
    process.stderr.write(`local-slurm: ${Cause.pretty(exit.cause)}\n`);
    process.exit(1);
  }
}
