// How numbers are written for people: the shortest text of x rounded to `digits` significant digits
// (1.23450000001 → "1.2345"). Every printed number goes through here, at the precision its place needs.
export const rounded = (x: number, digits: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(digits))) : String(x));
