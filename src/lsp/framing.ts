// The language server's input, re-framed: only whole messages with a true Content-Length reach the JSON-RPC reader.
// A header that is missing, negative, non-numeric or wrong by a few bytes would otherwise desynchronise the stream for
// good (no reply to anything, `exit` ignored); here the bad bytes are skipped up to the next `Content-Length:` and
// logged, and the messages after it are answered.
import { Transform, type TransformCallback } from "node:stream";

const HEADER = Buffer.from("Content-Length:");
const HEADER_END = Buffer.from("\r\n\r\n");
/** The longest message accepted (a huge document's didOpen fits): a larger Content-Length is malformed. */
export const MAX_MESSAGE_BYTES = 256 * 1024 ** 2;
/** A header block longer than this without its blank line is not a header. */
const MAX_HEADER_BYTES = 4096;

export function resynchronisingFraming(log: (line: string) => void): Transform {
  let buf = Buffer.alloc(0);
  /** Drops the bad bytes at the front, up to the next header after them, and says why. */
  const skip = (why: string) => {
    const next = buf.indexOf(HEADER, 1);
    const dropped = next < 0 ? buf.length : next;
    log(`rgnn lsp: skipped ${dropped} bytes of input: ${why}\n`);
    buf = buf.subarray(dropped);
  };
  /** The next whole message's body, null to wait for more input, or undefined after skipping bad bytes. */
  const next = (): Buffer | null | undefined => {
    const end = buf.indexOf(HEADER_END);
    if (end < 0) {
      if (buf.length > MAX_HEADER_BYTES) skip("no end of the header");
      return buf.length > MAX_HEADER_BYTES ? undefined : null;
    }
    const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
    const length = lines.find((l) => /^content-length:/i.test(l))?.replace(/^content-length:\s*/i, "");
    if (length === undefined || !/^\d+$/.test(length.trim()) || Number(length) > MAX_MESSAGE_BYTES) {
      skip(length === undefined ? "a header without Content-Length" : `Content-Length '${length.slice(0, 20)}' is not a valid length`);
      return undefined;
    }
    const start = end + HEADER_END.length,
      stop = start + Number(length);
    if (buf.length < stop) return null;
    const body = buf.subarray(start, stop);
    try {
      JSON.parse(body.toString("utf8"));
    } catch {
      // Content-Length too short cuts the message; too long swallows the next header: either way not JSON
      skip(`Content-Length ${length.trim()} does not frame one JSON message`);
      return undefined;
    }
    buf = buf.subarray(stop);
    return body;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        // bytes before the first header (a stray newline, the tail of a bad message) are not a message
        const first = buf.indexOf(HEADER);
        if (first > 0 && !/^content-type:/i.test(buf.subarray(0, first).toString("latin1"))) skip("bytes outside any message");
        const body = next();
        if (body === null) break;
        if (body) this.push(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
      }
      done();
    },
  });
}
