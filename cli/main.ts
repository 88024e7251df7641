import { Command, CommanderError } from "commander";
import { toolVersion } from "../records/version.js";
import { Interrupted, UsageError } from "../errors/index.js";
import { registerScenario } from "./scenario.js";
import { registerSim } from "./sim.js";
import { registerDatasets } from "./datasets.js";
import { registerDashboard } from "./dashboard.js";
import { registerBench } from "./bench.js";
import { registerStack } from "./stack.js";
import { registerCampaign } from "./campaign.js";
import { registerCalibrate } from "./calibrate.js";

const program = new Command()
  .name("testbed")
  .description("SRCNet testbed: simulate, generate datasets, drive real services, publish results")
  .version(toolVersion())
  .option("--debug", "show stack traces")
  .exitOverride()
  .showHelpAfterError();
registerSim(program);
registerScenario(program);
registerDatasets(program);
registerDashboard(program);
registerBench(program);
registerStack(program);
registerCampaign(program);
registerCalibrate(program);

const debug = process.argv.includes("--debug");
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version exit 0; any parse error is a usage error.
    process.exit(e.exitCode === 0 ? 0 : 2);
  }
  // Bad input (a usage mistake, a scenario that does not validate): one line per problem, exit 2.
  if (e instanceof UsageError) {
    process.stderr.write(`testbed: ${e.message}\n`);
    process.exit(2);
  }
  if (e instanceof Interrupted) {
    process.stderr.write(`testbed: ${e.message}\n`);
    process.exit(130);
  }
  process.stderr.write(`testbed: ${e instanceof Error ? e.message : String(e)}\n`);
  if (debug && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
}
