import { FrameSizeWatch, fragments } from '../../local/frames';

/** A text frame as a client sends it (masked with a zero key, so payload bytes stay as they are). */
function frame(payload: number, fin = true): Buffer {
  const len =
    payload < 126
      ? [payload]
      : payload < 65536
        ? [126, payload >> 8, payload & 0xff]
        : [127, 0, 0, 0, 0, (payload >>> 24) & 0xff, (payload >> 16) & 0xff, (payload >> 8) & 0xff, payload & 0xff];
  return Buffer.concat([Buffer.from([fin ? 0x81 : 0x01, 0x80 | len[0]!, ...len.slice(1), 0, 0, 0, 0]), Buffer.alloc(payload, 0x61)]);
}

describe('FrameSizeWatch (API Gateway 32 KB frames)', () => {
  const watched = (chunks: Buffer[]) => {
    const seen: number[] = [];
    const watch = new FrameSizeWatch(32 * 1024, (size) => seen.push(size));
    for (const c of chunks) watch.feed(c);
    return seen;
  };

  it('passes frames up to 32 KB, in any chunking', () => {
    const stream = Buffer.concat([frame(10), frame(32 * 1024, false), frame(200), frame(32 * 1024)]);
    expect(watched([stream])).toEqual([]);
    expect(watched([...stream].map((b) => Buffer.from([b])))).toEqual([]); // byte by byte
    expect(watched([stream.subarray(0, 7), stream.subarray(7, 40_000), stream.subarray(40_000)])).toEqual([]);
  });

  it('reports an oversized frame once and then reads no more of the stream', () => {
    const oversized = frame(40_000);
    expect(watched([oversized.subarray(0, 10), oversized.subarray(10), frame(50_000)])).toEqual([40_000]);
  });

  it('reports a frame over 32 KB (16-bit and 64-bit lengths), even after small ones', () => {
    expect(watched([frame(100), frame(32 * 1024 + 1)])).toEqual([32 * 1024 + 1]);
    expect(watched([frame(70_000).subarray(0, 20)])).toEqual([70_000]);
  });
});

describe('fragments', () => {
  it('cuts deliveries into frames of at most 32 KB that join to the message', () => {
    const data = Buffer.alloc(100 * 1024, 7);
    const parts = fragments(data);
    expect(parts).toHaveLength(4);
    expect(Math.max(...parts.map((p) => p.length))).toBe(32 * 1024);
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    expect(fragments(Buffer.from('small'))).toHaveLength(1);
  });
});
