import { describe, expect, it } from "vitest";
import { dopri5, rk4, type Rhs } from "../../src/numeric/ode.js";

// y'' = −y, y(0) = 1, y'(0) = 0: y = cos t
const oscillator: Rhs = (_t, y, o) => {
  o[0] = y[1];
  o[1] = -y[0];
};
const errAt = (y: Float64Array, t: number) => Math.hypot(y[0] - Math.cos(t), y[1] + Math.sin(t));

function observedOrder(errors: number[]): number {
  const k = errors.length - 1;
  return Math.log2(errors[k - 1] / errors[k]);
}

describe("ODE integrators", () => {
  it("Dormand–Prince with fixed steps converges with order 5", () => {
    const errs = [20, 40, 80].map((N) => errAt(dopri5(oscillator, 0, [1, 0], 2, { fixedStep: 2 / N }).y.at(-1)!, 2));
    expect(observedOrder(errs)).toBeGreaterThan(4.6);
    expect(observedOrder(errs)).toBeLessThan(5.4);
  });

  it("RK4 converges with order 4", () => {
    const errs = [20, 40, 80].map((N) => errAt(rk4(oscillator, 0, [1, 0], 2, N).y.at(-1)!, 2));
    expect(observedOrder(errs)).toBeGreaterThan(3.8);
    expect(observedOrder(errs)).toBeLessThan(4.2);
  });

  it("adaptive stepping meets its tolerance, and dense output is accurate between steps", () => {
    const sol = dopri5(oscillator, 0, [1, 0], 10, { rtol: 1e-10, atol: 1e-12 });
    expect(errAt(sol.y.at(-1)!, 10)).toBeLessThan(1e-8);
    for (const t of [0.37, 3.3, 7.77, 9.99]) expect(errAt(sol.at(t), t)).toBeLessThan(1e-8);
    expect(sol.rejected).toBeLessThan(sol.steps);
  });

  it("integrates backwards in time and reports a blow-up", () => {
    const back = dopri5(oscillator, 2, [Math.cos(2), -Math.sin(2)], 0);
    expect(errAt(back.y.at(-1)!, 0)).toBeLessThan(1e-8);
    const blowup: Rhs = (_t, y, o) => {
      o[0] = y[0] * y[0];
    };
    expect(() => dopri5(blowup, 0, [1], 2)).toThrow(/not finite|more than/);
  });
});
