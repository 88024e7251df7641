export { SimulationError } from "./errors.js";
export { EventQueue, type EventCallback, type EventHandle } from "./event-queue.js";
export { Simulation } from "./simulation.js";
export { RandomStreams, RandomStream } from "./random.js";
export { Resource } from "./resource.js";
export { DelayLine } from "./delay-line.js";
export { process, type Waitable, type Yieldable } from "./process.js";
