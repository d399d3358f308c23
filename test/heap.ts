// The heap in use after full collections, for the tests that hold memory steady over many requests.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Bytes of heap in use after collecting everything collectable (weak maps' entries need more than one pass). */
export function heapAfterGC(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}
