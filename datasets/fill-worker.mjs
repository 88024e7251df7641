// Fill thread entry: registers the TypeScript loader in this thread (Node 20 does not apply a
// parent's loader to a worker), then runs each job it is sent (see batches.ts). A failure is
// reported in the job's shared control words, since the main thread is blocked waiting on
// them, not on events.
import { parentPort } from "node:worker_threads";

const ready = (async () => {
  const { register } = await import("tsx/esm/api");
  register();
  return (await import("./fill-worker-main.ts")).runFillThread;
})();

parentPort.on("message", async (job) => {
  try {
    (await ready)(job);
  } catch (e) {
    const ctl = new Int32Array(job.control);
    const msg = new TextEncoder().encode(String((e && e.stack) || e)).subarray(0, 4095);
    new Uint8Array(job.error).set(msg);
    for (let s = 0; s < ctl.length / 2; s++) {
      Atomics.store(ctl, s, 3);
      Atomics.notify(ctl, s);
    }
  }
});
