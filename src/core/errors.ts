// The one base of rgnn's own errors, in the first stage so that every stage can throw one: each error carries the
// exit code the command line reports it with, so the CLI maps any of them to its code in one place (cli/main.ts).

/** Exit codes of `rgnn`: 0 success, 1 the input (or a check) is bad, 2 the command line is bad. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error rgnn reports to its user (not a bug): a bad spec, input, request or output, with its exit code. */
export abstract class RgnnError extends Error {
  abstract readonly exitCode: ExitCode;
}
