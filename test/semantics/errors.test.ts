import { describe, expect, it } from "vitest";
import { diagnostics, model, onlyError } from "../helpers.js";

const PLANE = "manifold Plane (x, y)\n";

describe("semantic errors: one message each, with line and column", () => {
  it("unknown name in an expression, with a suggestion", () => {
    const e = onlyError("manifold P (r, theta)\nmanifold Q (u, v)\nmap f : P -> Q {\n  u = r * cos(thetta)\n  v = r\n}");
    expect(e).toMatchObject({ line: 4, col: 15 });
    expect(e.message).toContain("unknown name 'thetta'");
    expect(e.notes).toContain("did you mean 'theta'?");
  });

  it("unknown function", () => {
    const e = onlyError("manifold P (r)\nmap f : P -> P { r = sinn(r) }");
    expect(e).toMatchObject({ message: "unknown function 'sinn'", line: 2, col: 22 });
  });

  it("unknown map in a pullback", () => {
    const e = onlyError(`${PLANE}metric g = pullback along nowhere`);
    expect(e).toMatchObject({ line: 2, col: 27 });
    expect(e.message).toContain("'nowhere'");
  });

  it("duplicate names", () => {
    const e = onlyError(`${PLANE}manifold Plane (u, v)`);
    expect(e).toMatchObject({ message: "'Plane' is already declared (line 1)", line: 2, col: 10 });
  });

  it("duplicate coordinate", () => {
    expect(onlyError("manifold P (x, x)")).toMatchObject({ message: "coordinate 'x' appears twice", line: 1, col: 16 });
  });

  it("a name used before its declaration", () => {
    const e = onlyError("metric g = pullback along f\nmanifold P (x)\nmap f : P -> P { x = x }");
    expect(e).toMatchObject({ line: 1, col: 27 });
    expect(e.message).toContain("before it is declared (line 3)");
  });

  it("a name of the wrong kind", () => {
    const e = onlyError(`${PLANE}metric g = pullback along Plane`);
    expect(e.message).toBe("manifold 'Plane' is not embedded anywhere, so it is not a map");
  });

  it("a map missing a target coordinate", () => {
    const e = onlyError(`${PLANE}map f : Plane -> Plane { x = y }`);
    expect(e).toMatchObject({ message: "no expression for 'y' of Plane", line: 2, col: 5 });
  });

  it("a map defining a coordinate twice", () => {
    expect(onlyError(`${PLANE}map f : Plane -> Plane { x = y  x = 1  y = 2 }`)).toMatchObject({
      message: "coordinate 'x' is defined twice",
      line: 2,
      col: 33,
    });
  });

  it("dimension mismatch: W of shape 3×2 after a width-2 layer given width 2", () => {
    const e = onlyError(`${PLANE}network n : Plane { dense 2 tanh with W = [[1, 2], [3, 4], [5, 6]], b = [0, 0] }`);
    expect(e).toMatchObject({ message: "W of layer 1 (dense) is a 3×2 matrix, expected a 2×2 matrix", line: 2, col: 43 });
  });

  it("dimension mismatch: W whose columns do not match the previous width", () => {
    const e = onlyError(`${PLANE}network n : Plane {\n  dense 3 tanh\n  dense 2 tanh with W = [[1, 2], [3, 4]]\n}`);
    expect(e).toMatchObject({ message: "W of layer 2 (dense) is a 2×2 matrix, expected a 2×3 matrix", line: 4, col: 25 });
  });

  it("dimension mismatch: network output and declared output space", () => {
    const e = onlyError(`${PLANE}network n : Plane -> R^3 { dense 2 tanh }`);
    expect(e).toMatchObject({ line: 2, col: 22 });
    expect(e.message).toContain("ends with width 2, but its output R^3 has dimension 3");
  });

  it("dimension mismatch: a point with the wrong number of coordinates", () => {
    const e = onlyError(`${PLANE}metric g on Plane = euclidean\nevaluate g at (1, 2, 3)`);
    expect(e).toMatchObject({ line: 3, col: 16 });
    expect(e.message).toContain("has 3 coordinates, but Plane has dimension 2");
  });

  it("dimension mismatch: metric components", () => {
    const e = onlyError(`${PLANE}metric g on Plane = [[1, 0, 0], [0, 1, 0]]`);
    expect(e.message).toBe("a metric on Plane needs 2×2 components, found 2×3");
  });

  it("dimension mismatch: composing maps", () => {
    const e = onlyError("manifold A (a)\nmanifold B (b)\nmap f : A -> B { b = a }\nmap g : A -> A { a = a }\nmap c = f then g");
    expect(e).toMatchObject({ message: "cannot compose: 'f' ends in B but 'g' starts in A", line: 5, col: 16 });
  });

  it("a residual layer with a width", () => {
    expect(onlyError(`${PLANE}network n : Plane { residual 3 tanh }`).message).toContain("unexpected number 3");
  });

  it("unknown activation", () => {
    const e = onlyError(`${PLANE}network n : Plane { dense tanhh }`);
    expect(e).toMatchObject({ message: "unknown activation 'tanhh'", line: 2, col: 27 });
    expect(e.notes[0]).toBe("did you mean 'tanh'?");
  });

  it("a parameter the layer does not have", () => {
    const e = onlyError(`${PLANE}network n : Plane { dense tanh with h = 0.1 }`);
    expect(e).toMatchObject({ message: "a dense layer has no parameter 'h'", line: 2, col: 37 });
  });

  it("a non-finite inline weight", () => {
    const e = onlyError(`${PLANE}network n : Plane { dense tanh with W = [[1, 1/0], [0, 1]], b = [0, 0] }`);
    expect(e).toMatchObject({ line: 2, col: 46 });
    expect(e.message).toContain("not a finite number");
  });

  it("a number too large to represent", () => {
    expect(onlyError("constant c = 1e400").message).toBe("the number 1e400 is too large");
  });

  it("a symbolic weight named like a coordinate", () => {
    const e = onlyError("manifold I (h, y)\nnetwork n : I { residual tanh }");
    expect(e.message).toContain("the symbol 'h' is also a coordinate of I");
  });

  it("a pullback to a layer the network does not have", () => {
    const e = onlyError(`${PLANE}network n : Plane { dense tanh }\nmetric g = pullback along n to layer 5`);
    expect(e).toMatchObject({ message: "'n' has layers 0 (its input) to 1, not 5", line: 3, col: 38 });
  });

  it("a metric pulled back along a map into another manifold", () => {
    const e = onlyError(
      `${PLANE}manifold Q (u)\nmetric e on Q = euclidean\nmap f : Plane -> Plane { x = y y = x }\nmetric g = pullback of e along f`,
    );
    expect(e.message).toBe("'e' lives on Q, but 'f' maps into Plane");
  });

  it("a second-order layer after a width change", () => {
    const e = onlyError(`${PLANE}network n : Plane { dense 3 tanh  second_order tanh }`);
    expect(e.message).toContain("must have the same width (3 and 2)");
  });

  it("a group of the wrong dimension", () => {
    const e = onlyError(`${PLANE}principal bundle F over Plane with group GL(3)`);
    expect(e).toMatchObject({
      line: 2,
      col: 45,
      message: "the frame bundle of Plane (dimension 2) has structure group of dimension 2, not 3",
    });
  });

  it("an unknown fibre", () => {
    expect(onlyError(`${PLANE}principal bundle F over Plane with group GL(2)\nassociated bundle V to F with fibre vector`).notes).toContain(
      "did you mean 'vectors'?",
    );
  });

  it("an action by a layer that changes width", () => {
    const e = onlyError(
      `${PLANE}network n : Plane { dense 3 tanh  dense 2 tanh }\nprincipal bundle F over Plane with group GL(2)\naction of n on F`,
    );
    expect(e.message).toContain("layer 1 of 'n' maps R^2 to R^3");
  });

  it("an unknown quantity", () => {
    const e = onlyError(`${PLANE}metric g on Plane = euclidean\nshow curvature of g`);
    expect(e).toMatchObject({ message: "unknown quantity 'curvature'", line: 3, col: 6 });
  });

  it("a claim comparing different shapes", () => {
    const e = onlyError(`${PLANE}metric g on Plane = euclidean\ncheck g equals [1, 2]`);
    expect(e.message).toBe("the two sides differ in shape: 2×2 and 2");
  });

  it("a dense network asked for its ODE", () => {
    const e = onlyError(`${PLANE}network n : Plane { dense tanh }\nshow ode of n`);
    expect(e.message).toContain("a dense network is a static map with no ODE limit");
  });

  it("too many layers from nested repeats", () => {
    expect(onlyError(`${PLANE}network n : Plane { repeat 1000 { repeat 1000 { residual tanh } } }`).message).toContain("too many layers");
  });

  it("reports several errors in one file, in source order", () => {
    const ds = diagnostics(`${PLANE}map f : Plane -> Plane { x = q  y = w }\nmetric g = pullback along nope\nshow volume of zzz`);
    expect(ds.map((d) => [d.span.line, d.span.col])).toEqual([
      [2, 30],
      [2, 37],
      [3, 27],
      [4, 16],
    ]);
  });

  it("checks a clean spec into a typed model", () => {
    const m = model(
      `${PLANE}network n : Plane -> R^2 { dense 3 tanh  residual relu with h = 0.5  dense 2 linear }\nmetric g = pullback along n`,
    );
    const n = m.mappings.get("n")!;
    expect(n.kind).toBe("network");
    if (n.kind !== "network") return;
    expect(n.layers.map((l) => [l.kind, l.inWidth, l.outWidth])).toEqual([
      ["dense", 2, 3],
      ["residual", 3, 3],
      ["dense", 3, 2],
    ]);
    expect(n.layers[0].W!.entries.map(String)).toEqual(["W1_11", "W1_12", "W1_21", "W1_22", "W1_31", "W1_32"]);
    expect(n.layers[1].h!.values).toEqual(Float64Array.from([0.5]));
  });
});
