// LaTeX for DAG expressions: the shared printer's LaTeX dialect (symbolic/print.ts).
import { latexSymbol } from "../symbolic/notation.js";
export { latex } from "../symbolic/print.js";

export { latexSymbol };
