/** A mistake in what the user asked for: reported in one line, exit code 2, no stack trace. */
export class UsageError extends Error {
  override readonly name: string = "UsageError";
}

/** The user stopped the command (Ctrl-C) and cleanup has run: exit 130, as a shell expects. */
export class Interrupted extends Error {
  override readonly name: string = "Interrupted";
}
