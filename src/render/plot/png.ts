// SVG -> PNG without a browser (resvg), with the DejaVu Sans shipped in fonts/ (Bitstream Vera licence,
// fonts/LICENSE-DejaVu.txt) and no system fonts: every machine draws the same pixels, and the font has
// the glyphs the figures use (λ, √, σ′, ‖, subscripts ᵢ and ₁₀), which KaTeX's text fonts lack.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Resvg } from "@resvg/resvg-js";

/** fonts/ at the package root: three levels up from src/render/plot, four from dist/src/render/plot. */
function fontDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) if (existsSync(join(dir, "fonts", "DejaVuSans.ttf"))) return join(dir, "fonts");
  throw new Error("fonts/DejaVuSans.ttf is missing from the rgnn package");
}

export function svgToPng(svg: string, width?: number): Buffer {
  const fonts = fontDir();
  const r = new Resvg(svg, {
    fitTo: width ? { mode: "width", value: width } : { mode: "original" },
    font: {
      fontFiles: [join(fonts, "DejaVuSans.ttf"), join(fonts, "DejaVuSans-Bold.ttf")],
      loadSystemFonts: false,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  });
  return r.render().asPng();
}
