// The block pass's outputs as one array, for tests that compare backends or prepared networks: each point's output
// and Jacobian (m + m·n numbers) in point order.
import { pointOfBlock, propagateBlocks } from "../../../src/numeric/engine/batch.js";
import type { KernelName } from "../../../src/numeric/engine/kernel.js";
import type { PreparedNetwork } from "../../../src/numeric/engine/network.js";

/** x_L and ∂x_L/∂x_0 at `points` (n each), `block` points a block, through the named backend. */
export function blockOutputs(pn: PreparedNetwork, points: Float64Array, n: number, m: number, block: number, kernel: KernelName) {
  const row = m * (1 + n),
    out = new Float64Array((points.length / n) * row);
  propagateBlocks(
    pn,
    points,
    n,
    (jets) => {
      for (let b = 0; b < jets.B; b++) {
        const J = new Float64Array(n * m);
        const { output } = pointOfBlock(jets, b, n, J);
        out.set([...output, ...J], row * (jets.first + b));
      }
    },
    block,
    kernel,
  );
  return out;
}
