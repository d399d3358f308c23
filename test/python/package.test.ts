// The Python package (python/), installed as a user installs it — offline, into a venv over Debian's python3 with its
// numpy and torch — and run against independent numbers: the TypeScript library's own values on the paper's toy
// network, and functorch's Jacobians of a PyTorch MLP brought in through ONNX (rgnn.from_torch).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { geometryAt, metricAt, pickMetric, valuesOf } from "../../src/index.js";
import { exampleModel } from "../helpers.js";

const repo = resolve(import.meta.dirname, "../..");
let dir = "";
const python = () => join(dir, "venv/bin/python");
const env = () => ({
  ...process.env,
  PATH: `${join(dir, "venv/bin")}:${process.env.PATH}`,
  RGNN_CLI: join(repo, "bin/rgnn.js"),
  RGNN_NODE: process.execPath,
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rgnn-python-"));
  execFileSync("/usr/bin/python3", ["-m", "venv", "--system-site-packages", join(dir, "venv")]);
  // a copy of the source tree: pip builds in place, and the repo's python/ must stay clean
  execFileSync("cp", ["-r", join(repo, "python"), join(dir, "src")]);
  execFileSync(join(dir, "venv/bin/pip"), ["install", "--quiet", "--no-build-isolation", "--no-index", join(dir, "src")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  // the notebook's kernel must be the venv's python (the system kernel spec would start Debian's, without rgnn)
  execFileSync(python(), ["-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], { stdio: ["ignore", "pipe", "pipe"] });
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("installs offline and answers as the library and functorch do", () => {
  const points = [
    [0.3, -0.7],
    [-1.2, 0.4],
    [0.05, 1.5],
  ];
  const model = exampleModel("paper-toy");
  const g = pickMetric(model);
  const values = valuesOf(model);
  const expected = {
    toy: join(repo, "examples/paper-toy.rgnn"),
    points,
    metric: metricAt(g, points, values).map((v) => v.metric),
    christoffel: geometryAt(g, "christoffel", points, values).map((q) => q.values),
  };
  writeFileSync(join(dir, "expected.json"), JSON.stringify(expected));
  const out = JSON.parse(
    execFileSync(python(), [join(repo, "test/python/check_package.py"), join(dir, "expected.json")], {
      env: env(),
      cwd: dir,
      encoding: "utf8",
    }),
  );
  expect(out.metric).toBe(0); // float64 bytes both ways: exact
  expect(out.christoffel).toBe(0); // the same values, [N, 2, 2, 2] row-major
  expect(out.one_point_shape).toEqual([2, 2]);
  expect(out.torch_type).toEqual(["Tensor", "torch.float64"]);
  expect(out.torch_metric).toBeLessThan(1e-12);
  expect(out.torch_jacobian).toBeLessThan(1e-12);
  expect(out.exported).toEqual(["christoffel", "jacobian", "metric"]);
  expect(out.error).toBe("bad.rgnn:2:6: error: unknown metric or map or network or manifold or constant 'q'");
  expect(out.shape).toBe("points must have 2 coordinates (x, y) of Input, not 3");
  expect(out.crash).toBe("the rgnn server stopped");
  expect(out.chart).toBe(
    "point (0, 0.5, 1, 1) is outside the chart Spacetime: r = 0.5 is not in [2, 10] (Spacetime is declared on [-1, 1] x " +
      "[2, 10] x [0.3, 2.8] x [0, 6]); give a point inside the chart, or widen the chart's 'on' intervals if the metric holds there",
  );
  expect(out.inside).toEqual([
    [-0.8, 0],
    [0, 1.25],
  ]); // −(1 − 1/r) and 1/(1 − 1/r) at r = 5
  expect(out.too_many).toMatch(/^a distance matrix of 5,000 points is 12,497,500 geodesic problems .* Dask cluster from Python/);
  expect(out.too_many_cluster).toMatch(/^a distance matrix of 20,000 points is 199,990,000 geodesic problems .*16,384 points/);
  expect(out.latex).toBe(true);
  expect(out.derivation_html).toBe(true);
  expect(out.safetensors_round_trip).toBe(true);
  expect(out.safetensors_metric).toBeLessThan(1e-14);
  expect(out.safetensors_f16).toBe("tensor 'W' has dtype 'F16'; rgnn reads F64 and F32");
}, 300_000);

it("shards a distance matrix and a dask array's metric over a Dask cluster of 2 workers: as one process", () => {
  const out = JSON.parse(
    execFileSync(python(), [join(repo, "test/python/check_dask.py"), join(repo, "examples/paper-toy.rgnn")], {
      env: env(),
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  expect(out.workers).toBe(2);
  expect(out.smallest).toBeGreaterThan(0.1);
  expect(out.difference).toBe(0); // the same solver on the same float64 inputs
  expect(out.metric).toBe(0); // g over a dask array, block by block on the workers: the same numbers
}, 300_000);

it("keeps a Dask distance matrix right when a worker or its server is killed mid-run; a failure is one RgnnError", () => {
  const out = JSON.parse(
    execFileSync(python(), [join(repo, "test/python/check_dask_faults.py"), join(repo, "examples/paper-toy.rgnn")], {
      env: env(),
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  // without a cluster, asked for progress: 66 pairs 10 at a time, each reported once, the same matrix
  expect(out.local_progress).toEqual([10, 20, 30, 40, 50, 60, 66].map((d) => [d, 66]));
  expect(out.local_difference).toBe(0);
  // SIGKILL to one worker process as the first pairs come back, while it runs pairs of its own
  expect(out.done_at_kill).toBeGreaterThan(0);
  expect(out.done_at_kill).toBeLessThan(out.pairs);
  expect(out.victim_processing_at_kill).toBeGreaterThan(0);
  expect(out.worker_killed_difference).toBe(0); // its pairs computed again elsewhere: the same float64 matrix
  expect(out.worker_replaced).toBe(true); // the nanny started a new worker process
  expect(out.victim_server_gone).toBe(true); // its rgnn server ended with it (end of input), no orphan
  // every worker's rgnn server killed mid-run: each request again on a fresh server
  expect(out.servers_killed).toBe(2);
  expect(out.servers_killed_difference).toBe(0);
  // the spec gone before the workers load it: one RgnnError with rgnn's message, no matrix
  expect(out.missing_spec[0]).toBe("RgnnError");
  expect(out.missing_spec[1]).toMatch(/^\/\S+\/moved\.rgnn: error: cannot read: no such file$/);
}, 600_000);

it("runs examples/notebooks/geometry.ipynb top to bottom with no error (nbclient, the venv's kernel)", () => {
  const run = [
    "import nbformat, sys",
    "from nbclient import NotebookClient",
    "nb = nbformat.read(sys.argv[1], as_version=4)",
    "NotebookClient(nb, timeout=600, kernel_name='python3', resources={'metadata': {'path': sys.argv[2]}}).execute()",
    "outs = [o for c in nb.cells if c.cell_type == 'code' for o in c.outputs]",
    "print(sum(o.output_type == 'error' for o in outs), sum('image/svg+xml' in o.get('data', {}) for o in outs),",
    "      sum('text/latex' in o.get('data', {}) for o in outs), sum('text/html' in o.get('data', {}) for o in outs))",
  ].join("\n");
  const notebook = join(repo, "examples/notebooks/geometry.ipynb");
  const out = execFileSync(python(), ["-c", run, notebook, join(repo, "examples/notebooks")], {
    env: { ...env(), PYDEVD_DISABLE_FILE_VALIDATION: "1" },
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  // no error; the ellipse figure as SVG, the closed form as LaTeX, the derivation as an HTML page
  expect(out.trim().split(/\s+/).map(Number)).toEqual([0, 1, 1, 1]);
}, 600_000);
