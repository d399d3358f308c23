// The --format choices of each command, declared once: main.ts lists them in the help, the command checks them.
export const FORMATS = {
  metric: ["text", "latex", "json", "csv"],
  eval: ["text", "json", "csv", "npy"],
  geometry: ["text", "latex", "json", "csv", "npy"],
  geodesic: ["text", "json", "csv"],
  distances: ["text", "json", "csv", "npy"],
  flow: ["text", "json"],
  verify: ["text", "json"],
} as const;
