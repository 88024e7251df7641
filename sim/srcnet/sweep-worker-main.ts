import { parentPort } from "node:worker_threads";
import { runPoint, type SimPoint } from "./point.js";

/** Runs the points it is sent, one at a time, reporting progress and results to the main thread. */
parentPort!.on("message", (msg: { index: number; point: SimPoint }) => {
  try {
    const r = runPoint(msg.point, (t, total) => parentPort!.postMessage({ type: "progress", index: msg.index, fraction: t / total }));
    parentPort!.postMessage({ type: "done", index: msg.index, result: r });
  } catch (e) {
    parentPort!.postMessage({ type: "error", index: msg.index, message: e instanceof Error ? e.message : String(e) });
  }
});
