/** Hand-built RTP packets for tests: every byte is placed here, independently of the code under test. */
export interface TestExtensionElement {
  id: number;
  data: number[];
}

export interface TestRtpPacket {
  payloadType?: number;
  marker?: boolean;
  sequence?: number;
  timestamp?: number;
  ssrc?: number;
  csrcs?: number[];
  /** 'one' = 0xBEDE, 'two' = 0x1000; `padBytes` zero bytes are inserted before the first element. */
  extension?: { form: 'one' | 'two'; elements: TestExtensionElement[]; padBytes?: number };
  payload?: number[];
  /** Padding bytes at the end (the last one holds the count). */
  padding?: number;
}

export function buildTestRtp(p: TestRtpPacket): Buffer {
  const bytes: number[] = [];
  const csrcs = p.csrcs ?? [];
  const hasExtension = p.extension !== undefined;
  const padding = p.padding ?? 0;
  bytes.push(0x80 | (padding > 0 ? 0x20 : 0) | (hasExtension ? 0x10 : 0) | csrcs.length);
  bytes.push((p.marker ? 0x80 : 0) | (p.payloadType ?? 96));
  const seq = p.sequence ?? 1;
  bytes.push(seq >> 8, seq & 0xff);
  pushU32(bytes, p.timestamp ?? 0);
  pushU32(bytes, p.ssrc ?? 0x11223344);
  for (const c of csrcs) pushU32(bytes, c);
  if (p.extension) {
    const body: number[] = [];
    for (let i = 0; i < (p.extension.padBytes ?? 0); i++) body.push(0);
    for (const e of p.extension.elements) {
      if (p.extension.form === 'one') body.push((e.id << 4) | (e.data.length - 1));
      else body.push(e.id, e.data.length);
      body.push(...e.data);
    }
    while (body.length % 4 !== 0) body.push(0);
    const profile = p.extension.form === 'one' ? 0xbede : 0x1000;
    bytes.push(profile >> 8, profile & 0xff, (body.length / 4) >> 8, (body.length / 4) & 0xff, ...body);
  }
  bytes.push(...(p.payload ?? [1, 2, 3, 4]));
  for (let i = 0; i < padding; i++) bytes.push(i === padding - 1 ? padding : 0);
  return Buffer.from(bytes);
}

function pushU32(bytes: number[], v: number): void {
  bytes.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/** Deterministic pseudo-random numbers (mulberry32) so fuzz failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
