// σ(z) and σ'(z) for every activation, as plain numbers (the numeric paths that do not go through
// the expression graph: training, flows, forward mode), from the function registry.
import { valueAndSlope } from "../core/functions.js";
import { byActivation } from "../semantics/model.js";

export const ACTIVATION = byActivation((a) => (z: number) => valueAndSlope(a, z));
