// Worker entry: registers the TypeScript loader in this thread (Node 20 does not apply a
// parent's or --import loader to a worker's entry module), then runs the worker.
import { register } from "tsx/esm/api";

register();
await import("./sweep-worker-main.ts");
