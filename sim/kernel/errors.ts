/** A call into the simulator that would corrupt its state (NaN time, negative delay, unknown handle). */
export class SimulationError extends Error {
  override readonly name: string = "SimulationError";
  constructor(
    message: string,
    /** What was wrong, machine-readable: the argument's name. */
    readonly argument?: string,
  ) {
    super(message);
  }
}

/** Throws unless `value` is a finite number >= 0; keeps NaN and negative values away from the clock. */
export function requireNonNegative(value: number, argument: string): void {
  if (!(value >= 0) || value === Infinity) {
    throw new SimulationError(`${argument} must be a finite number >= 0, got ${String(value)}`, argument);
  }
}
