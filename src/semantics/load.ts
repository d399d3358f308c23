// The front end in one call: text -> syntax tree -> typed model.
import { dirname } from "node:path";
import { parse } from "../syntax/parse.js";
import { analyze } from "./analyze.js";
import type { Model } from "./model.js";
import { FILE_WEIGHTS } from "./weights.js";
import type { WeightsAccess } from "./weights-access.js";

/** Parse and check a spec; throws DiagnosticError. `file` is the name used in messages. */
export function loadSpec(
  source: string,
  file: string,
  baseDir: string = file === "-" || file === "<stdin>" ? process.cwd() : dirname(file),
  constants?: ReadonlyMap<string, number>,
  weights: WeightsAccess = FILE_WEIGHTS,
): Model {
  return analyze(parse(source, file), { baseDir, constants, weights });
}
