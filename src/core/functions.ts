// The elementary functions of the language, by name.
export const FUNCTIONS = ["sin", "cos", "tan", "exp", "log", "tanh", "sinh", "cosh", "sigmoid", "softplus", "relu", "heaviside", "abs", "sign"] as const;
export type FunctionName = (typeof FUNCTIONS)[number];
