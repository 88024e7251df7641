import { execFile, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { Data, Effect } from "effect";

/** A Docker or host command failed; `detail` holds the tail of its output for the user. */
export class DockerError extends Data.TaggedError("DockerError")<{ message: string; detail?: string }> {}

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a non-zero exit becomes a DockerError with the last lines of stderr. */
export function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number; cwd?: string } = {}): Effect.Effect<CommandResult, DockerError> {
  return Effect.async<CommandResult, DockerError>((resume, signal) => {
    const child = execFile(
      cmd,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 0, signal, cwd: opts.cwd },
      (err, stdout, stderr) => {
        if (err) {
          const tail = String(stderr || stdout).trim().split("\n").slice(-20).join("\n");
          resume(Effect.fail(new DockerError({ message: `${cmd} ${args.slice(0, 3).join(" ")}… failed: ${err.message.split("\n")[0]}`, detail: tail })));
        } else resume(Effect.succeed({ stdout: String(stdout), stderr: String(stderr) }));
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** `docker <args>`, stdout trimmed. */
export const docker = (args: readonly string[], opts?: { timeoutMs?: number }) => Effect.map(run("docker", args, opts), (r) => r.stdout.trim());

/**
 * Runs a long command with its output appended to a log file, so a failed image build can be
 * shown to the user without flooding the terminal.
 */
export function runLogged(cmd: string, args: readonly string[], logFile: string, cwd?: string): Effect.Effect<void, DockerError> {
  return Effect.async<void, DockerError>((resume, signal) => {
    const fd = openSync(logFile, "a");
    const child = spawn(cmd, args, { stdio: ["ignore", fd, fd], signal, cwd });
    child.on("error", (e) => {
      closeSync(fd);
      resume(Effect.fail(new DockerError({ message: `${cmd}: ${e.message}` })));
    });
    child.on("close", (code) => {
      closeSync(fd);
      if (code === 0) resume(Effect.void);
      else {
        const tail = readFileSync(logFile, "utf8").trim().split("\n").slice(-30).join("\n");
        resume(Effect.fail(new DockerError({ message: `${cmd} ${args.slice(0, 2).join(" ")} exited with ${code} (log: ${logFile})`, detail: tail })));
      }
    });
  });
}
