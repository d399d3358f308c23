#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm ci builds it). Internal errors print one line, not a trace.
import { run } from "../dist/src/cli/main.js";

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`rgnn: internal error: ${e?.message ? e.message : e}\n(this is a bug in rgnn; set RGNN_DEBUG=1 for details)\n`);
  if (process.env.RGNN_DEBUG) process.stderr.write(`${String(e?.stack)}\n`);
  process.exitCode = 70;
}
