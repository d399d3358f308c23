// rgnn import of skip blocks, layer normalisation and log-softmax (test/fixtures/skipnorm/make.py): torch 1.13 models in
// float64 exported at opset 17 (LayerNormalization) and 13 (LayerNorm decomposed into ReduceMean … Add), imported, and
// their output, Jacobian and metric at four points against torch.autograd's, stored by the same script, to 1e-10.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, expectClose } from "../helpers.js";

const DIR = join(import.meta.dirname, "../fixtures/skipnorm");
const out = mkdtempSync(join(tmpdir(), "rgnn-import-skipnorm-"));
const TOL = 1e-10;

const BLOCK = ["dense 4 tanh", "skip {", "dense 8 tanh", "dense 4 linear", "}", "dense 3 linear"];
const NORM = [
  "dense 4 tanh",
  "skip {",
  "dense 6 softplus",
  "dense 4 linear",
  "}",
  "layer_norm with eps = 0.001",
  "dense 3 linear",
  "log_softmax",
];

describe("rgnn import: skip blocks, LayerNorm and LogSoftmax", () => {
  it.each([
    ["resblock", "resblock", BLOCK],
    ["resnorm", "resnorm", NORM],
    ["resnorm13", "resnorm", NORM],
  ])("%s.onnx: the layers, and torch's output, Jacobian and metric", async (file, ref, layers) => {
    const spec = join(out, `${file}.rgnn`);
    const r = await cli(["import", join(DIR, `${file}.onnx`), "-o", spec]);
    expect(r.err).toMatch(/^wrote \S+\.rgnn and \S+\.safetensors \(\d+ layers\)\n$/);
    expect(r.code).toBe(0);
    const lines = readFileSync(spec, "utf8").split("\n");
    const body = lines.slice(lines.findIndex((l) => l.startsWith("network")) + 1, lines.indexOf("}"));
    expect(body.map((l) => l.trim())).toEqual(layers);
    expect(body[2]).toMatch(/^ {4}dense /); // indented in its block
    const reference = JSON.parse(readFileSync(join(DIR, `${ref}.json`), "utf8"));
    for (let k = 0; k < reference.points.length; k++) {
      const e = await cli(["eval", spec, "--at", reference.points[k].join(","), "-f", "json"]);
      expect(e.code, e.err).toBe(0);
      const got = JSON.parse(e.out).points[0];
      expectClose([got.output], [reference.outputs[k]], TOL, `${file} output`);
      expectClose(got.jacobian, reference.jacobians[k], TOL, `${file} Jacobian`);
      expectClose(got.metric, reference.metrics[k], TOL, `${file} metric`);
    }
  });

  it("a LayerNormalization over another axis is one error naming the node", async () => {
    const r = await cli(["import", join(DIR, "lnaxis.onnx"), "-o", join(out, "lnaxis.rgnn")]);
    expect(r.code).toBe(1);
    expect(r.err.trimEnd()).toMatch(
      /^rgnn import: .*lnaxis\.onnx: node 'norm' \(LayerNormalization, node 1 of 1\): a layer normalisation must act on the last axis$/,
    );
  });
});
