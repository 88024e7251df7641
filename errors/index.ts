/**
 * Errors a user can act on, shared by every area of the testbed (the bottom of the house: this
 * module imports nothing). Producers throw them; only the CLI formats them and maps them to exit
 * codes: a {@link UsageError} is one line per problem and exit code 2, with no stack trace;
 * {@link Interrupted} is exit code 130.
 */

/** A mistake in what the user asked for or gave (an option, a file, a value in it): exit code 2. */
export class UsageError extends Error {
  override readonly name: string = "UsageError";
}

/** The user stopped the command (Ctrl-C) and cleanup has run: exit 130, as a shell expects. */
export class Interrupted extends Error {
  override readonly name: string = "Interrupted";
}
