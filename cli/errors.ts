/** A mistake in what the user asked for: reported in one line, exit code 2, no stack trace. */
export class UsageError extends Error {
  override readonly name: string = "UsageError";
}
