// The library's own error for a bad request (a name a model lacks, an option out of range): the CLI reports it
// as a usage error (exit 2). Kept apart so the CLI can recognise it without loading the library.
import { EXIT, RgnnError } from "../core/errors.js";

/** A name that a model does not have, or a request that does not apply to what was named. */
export class LookupError extends RgnnError {
  readonly exitCode = EXIT.usage;
}
