// `npm run bench`: every suite, in one process (so ratios compare like with like).
import { costsSuite } from "./costs.js";
import { convDecoderSuite } from "./convdecoder.js";
import { decoderSuite } from "./decoder.js";
import { engineSuite } from "./engine.js";
import { throughputSuite } from "./throughput.js";
import { experimentsSuite } from "./experiments.js";
import { exportSuite } from "./export.js";
import { geodesicSuite } from "./geodesic.js";
import { geometrySuite } from "./geometry.js";
import { latencySuite } from "./latency.js";
import { metricSuite } from "./metric.js";
import { outputsSuite } from "./outputs.js";
import { loadSuite } from "./load.js";
import { simplifySuite } from "./simplify.js";
import { daskSuite } from "./dask.js";

const only = process.argv[2];
if (!only || only === "metric") metricSuite();
if (!only || only === "geometry") geometrySuite();
if (!only || only === "engine") engineSuite();
if (!only || only === "throughput") throughputSuite();
if (!only || only === "latency") latencySuite();
if (!only || only === "geodesic") geodesicSuite();
if (!only || only === "simplify") simplifySuite();
if (!only || only === "decoder") decoderSuite();
if (!only || only === "convdecoder") convDecoderSuite();
if (!only || only === "experiments") experimentsSuite();
if (!only || only === "export") exportSuite();
if (!only || only === "outputs") outputsSuite();
if (!only || only === "load") loadSuite();
if (only === "dask") daskSuite(); // needs Debian's python3 with distributed: run by name
if (!only || only === "costs") await costsSuite(process.argv[3] ? Number(process.argv[3]) : undefined);
