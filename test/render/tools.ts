// External tools some render tests need. Locally a missing tool skips those tests (with the
// reason printed); in CI (.ci/run installs them) a missing tool is an error.
import { execFileSync } from "node:child_process";

export function available(cmd: string, args = ["--version"]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function requireTool(cmd: string): boolean {
  const ok = available(cmd);
  if (!ok && process.env.CI) throw new Error(`${cmd} is required in CI (.ci/run installs it)`);
  if (!ok) console.warn(`${cmd} not found: skipping the tests that need it`);
  return ok;
}

export const EXAMPLES = ["polar", "sphere", "h2", "torus", "paper-toy", "symbolic-resnet", "bundles", "deep-resnet"];
