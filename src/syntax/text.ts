// Helpers on input text that need no file system, so that the checker also runs in a browser (src/web/).

/** A piece of input text shown in a message: at most `max` characters, marked when cut. */
export function clip(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Text without a leading UTF-8 byte order mark (editors on Windows write one). */
export const stripBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
