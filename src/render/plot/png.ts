// SVG -> PNG without a browser (resvg), with KaTeX's own TTF as the font so that a fresh
// machine with no system fonts still draws every label.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Resvg } from "@resvg/resvg-js";

export function svgToPng(svg: string, width?: number): Buffer {
  const require = createRequire(import.meta.url);
  const fonts = join(dirname(require.resolve("katex/dist/katex.min.css")), "fonts");
  const r = new Resvg(svg, {
    fitTo: width ? { mode: "width", value: width } : { mode: "original" },
    font: {
      fontFiles: [join(fonts, "KaTeX_Main-Regular.ttf"), join(fonts, "KaTeX_Main-Bold.ttf"), join(fonts, "KaTeX_Main-Italic.ttf")],
      loadSystemFonts: false,
      defaultFontFamily: "KaTeX_Main",
    },
  });
  return r.render().asPng();
}
