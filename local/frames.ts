/**
 * API Gateway's WebSocket frame limit, emulated: a client frame with a payload over 32 KB closes
 * the connection with 1009, whatever the message size; a message of up to 128 KB must come as
 * several frames. Reads only frame headers from the raw byte stream (RFC 6455 section 5.2) next
 * to the `ws` parser, which enforces the 128 KB message limit itself.
 */
import { WEBSOCKET_LIMITS } from '../lambdas/defaults';

export class FrameSizeWatch {
  private buffer = Buffer.alloc(0);
  /** Payload bytes of the current frame still to skip. */
  private skip = 0;
  /** After an oversized frame the connection is closing: the rest of the stream is not parsed. */
  private closed = false;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onTooBig: (size: number) => void,
  ) {}

  feed(chunk: Buffer): void {
    if (this.closed) return;
    let data = this.buffer.length > 0 ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length);
        this.skip -= n;
        data = data.subarray(n);
        if (this.skip > 0) break;
      }
      const header = this.header(data);
      if (!header) break;
      if (header.payload > this.maxFrameBytes) {
        this.closed = true;
        this.onTooBig(header.payload);
        data = Buffer.alloc(0);
        break;
      }
      data = data.subarray(header.length);
      this.skip = header.payload;
      if (this.skip === 0 && data.length === 0) break;
    }
    this.buffer = Buffer.from(data);
  }

  /** Header length and payload length, or undefined while the header is incomplete. */
  private header(data: Buffer): { length: number; payload: number } | undefined {
    if (data.length < 2) return undefined;
    const masked = (data[1]! & 0x80) !== 0;
    const short = data[1]! & 0x7f;
    const extended = short === 126 ? 2 : short === 127 ? 8 : 0;
    const length = 2 + extended + (masked ? 4 : 0);
    if (data.length < length) return undefined;
    const payload = short === 126 ? data.readUInt16BE(2) : short === 127 ? Number(data.readBigUInt64BE(2)) : short;
    return { length, payload };
  }
}

/** Deliveries go out as frames of at most 32 KB too (API Gateway fragments @connections messages). */
export function fragments(data: Buffer, maxFrameBytes = WEBSOCKET_LIMITS.maxFrameBytes): Buffer[] {
  if (data.length <= maxFrameBytes) return [data];
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += maxFrameBytes) out.push(data.subarray(i, i + maxFrameBytes));
  return out;
}
