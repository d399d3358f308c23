// Control characters from the input never reach the terminal raw: a spec line, an ONNX node name or a file name
// carrying ESC ] 0;…BEL (sets the terminal's title) or ESC [31m (its colours) is printed escaped, as \x1b.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { escapeControls, formatDiagnostic, spanAt } from "../../src/syntax/diagnostics.js";
import { child, cli, expectCleanError, folder } from "./tools.js";

const TITLE = "\u001b]0;PWNED\u0007";
const RED = "\u001b[31m";
/** Any C0 control but newline and tab, DEL, or a C1 control (U+009B is an 8-bit CSI). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the test
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const { dir, write } = folder("terminal");

describe("escapeControls", () => {
  it("escapes C0, DEL and C1 as \\xHH and keeps what is asked for", () => {
    expect(escapeControls(`a${TITLE}b${RED}c\u0000\u007f\u009b\n\t`)).toBe("a\\x1b]0;PWNED\\x07b\\x1b[31mc\\x00\\x7f\\x9b\\x0a\\x09");
    expect(escapeControls("x\ny\tz\u001b", "\n\t")).toBe("x\ny\tz\\x1b");
    expect(escapeControls("naïve — ü")).toBe("naïve — ü"); // printable non-ASCII is left alone
  });

  it("a diagnostic's caret stays under its character when escapes widen the line before it", () => {
    const source = `manifold I (x, y)\n${RED}${TITLE} foo\n`;
    const at = source.indexOf("foo");
    const text = formatDiagnostic({ file: "a.rgnn", source, span: spanAt(source, at, 3), message: "unexpected name 'foo'" });
    expect(text).not.toMatch(RAW);
    const [, , line, caret] = text.split("\n");
    const src = line.replace(/^\d+ \| /, ""),
      marks = caret.replace(/^\s* \| /, "");
    expect(src.slice(marks.indexOf("^"), marks.indexOf("^") + 3)).toBe("foo");
    expect(marks.trim()).toBe("^~~");
  });
});

describe("rgnn prints no raw control characters", () => {
  it("a spec line with a title and a colour escape, in the caret excerpt and the message", async () => {
    const spec = write("title.rgnn", `manifold I (x, y)\n${TITLE} ${RED}bar\n`);
    const r = await cli(["check", spec]);
    expectCleanError(r, "unexpected character '\\x1b'");
    expect(r.err).not.toMatch(RAW);
    expect(r.err).toContain("\\x1b]0;PWNED\\x07 \\x1b[31mbar");
  });

  it("an ONNX node and op named with escapes", async () => {
    const { onnx } = onnxProto;
    const F32 = onnx.TensorProto.DataType.FLOAT;
    const value = (name: string) => ({ name, type: { tensorType: { elemType: F32, shape: { dim: [{ dimValue: 2 }] } } } });
    const graph = {
      node: [{ opType: `Conv${RED}`, input: ["x"], output: ["y"], name: `evil${TITLE}` }],
      input: [value("x")],
      output: [value("y")],
    };
    const model = join(dir, "evil.onnx");
    writeFileSync(model, onnx.ModelProto.encode(onnx.ModelProto.create({ graph })).finish());
    const r = await cli(["import", model, "-o", join(dir, "evil.rgnn")]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("node 'evil\\x1b]0;PWNED\\x07' (Conv\\x1b[31m");
    expect(r.err).not.toMatch(RAW);
  });

  it("a file name with escapes, in a message no stage formats (the terminal's own net, as a child process)", () => {
    const r = child(["check", `missing${TITLE}${RED}.rgnn`], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toContain("missing\\x1b]0;PWNED\\x07\\x1b[31m.rgnn");
    expect(r.err).not.toMatch(RAW);
  });

  it("an ONNX file name with a line break stays inside the imported spec's comment", async () => {
    const model = join(dir, "two\nlines\u001b.onnx");
    writeFileSync(model, readFileSync(join(import.meta.dirname, "../fixtures/onnx/mlp.onnx")));
    const spec = join(dir, "lines.rgnn");
    const r = await cli(["import", model, "-o", spec]);
    expect(r.err).toBe(`wrote ${spec} and ${join(dir, "lines.safetensors")} (4 layers)\n`);
    const text = readFileSync(spec, "utf8");
    expect(text.split("\n")[0]).toBe(
      "# Imported by rgnn import from two\\x0alines\\x1b.onnx: 4 layers, weights (F32) in lines.safetensors.",
    );
    expect((await cli(["check", spec])).code).toBe(0);
  });

  it("a spec named with a quote gets a weights clause that reads back; one with a line break is refused", async () => {
    const mlp = join(import.meta.dirname, "../fixtures/onnx/mlp.onnx");
    const quoted = join(dir, 'q"uo\\te.rgnn');
    expect((await cli(["import", mlp, "-o", quoted])).code).toBe(0);
    expect(readFileSync(quoted, "utf8")).toContain('weights "q\\"uo\\\\te.safetensors"');
    expect((await cli(["check", quoted])).code).toBe(0);
    const broken = await cli(["import", mlp, "-o", join(dir, "bro\nken.rgnn")]);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain("the weights file name 'bro\\x0aken.safetensors' has a control character or line break");
    expect(existsSync(join(dir, "bro\nken.rgnn"))).toBe(false);
  });
});
