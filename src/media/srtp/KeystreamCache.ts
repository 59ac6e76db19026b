import { releaseBuffer } from '../releaseBuffer.ts';
import { type AesCtrKeystream, xorKeystream } from './AesCtrKeystream.ts';

/** About where one ECB call stops paying off: past ~10 KB its cost grows faster than linearly. */
const BATCH_BYTES = 8192;
/**
 * Caps the batch of small packets (Opus): 16 packets already share the fixed cost 16 ways, and the
 * batch is held per SSRC per session — 32 × 160 bytes was 5 KiB of every viewer's memory.
 */
const MAX_BATCH_PACKETS = 16;
const FIRST_BATCH_PACKETS = 4;

/**
 * Keystream prefetch for one SSRC. Packet indices of a stream are predictable (the next is almost
 * always the highest + 1), so the keystream of the next few packets comes from a single ECB call,
 * sharing its fixed ~2 µs cost. Each packet gets a slot as long as the largest payload of the previous
 * batch; a packet that does not fit, or lies ahead of the batch, starts a new batch, and one older than
 * the batch (a retransmission, a late arrival) gets its own keystream without disturbing the batch.
 * The batch size adapts: it doubles while batches are used to the end and halves when they are not,
 * so an erratic stream degrades to one packet per call rather than to wasted AES work.
 */
export class KeystreamCache {
  private readonly generator: AesCtrKeystream;
  private readonly ssrc: number;
  private keystream: Buffer | undefined;
  private firstIndex = 0;
  private packetCount = 0;
  private bytesPerPacket = 0;
  private highestSlotUsed = -1;
  private largestPayload = 0;
  private batchPackets = FIRST_BATCH_PACKETS;

  constructor(generator: AesCtrKeystream, ssrc: number) {
    this.generator = generator;
    this.ssrc = ssrc;
  }

  /** XORs the keystream of packet `index` over `buf[start, end)`. */
  apply(buf: Buffer, start: number, end: number, index: number): void {
    const length = end - start;
    if (length <= 0) return;
    let slot = index - this.firstIndex;
    if (slot < 0) {
      this.generator.apply(buf, start, end, this.ssrc, index);
      return;
    }
    if (length > this.largestPayload) this.largestPayload = length;
    if (slot >= this.packetCount || length > this.bytesPerPacket) {
      this.refill(index);
      this.largestPayload = length;
      slot = 0;
    }
    if (slot > this.highestSlotUsed) this.highestSlotUsed = slot;
    xorKeystream(buf, start, length, this.keystream!, slot * this.bytesPerPacket);
  }

  private refill(firstIndex: number): void {
    if (this.packetCount > 0) {
      const usedToTheEnd = this.highestSlotUsed === this.packetCount - 1;
      this.batchPackets = usedToTheEnd
        ? Math.min(this.batchPackets * 2, MAX_BATCH_PACKETS)
        : Math.max(this.batchPackets >>> 1, 1);
    }
    const bytesPerPacket = (this.largestPayload + 15) & ~15;
    const packetCount = Math.max(1, Math.min(this.batchPackets, Math.floor(BATCH_BYTES / bytesPerPacket)));
    const bytes = packetCount * bytesPerPacket;
    if (this.keystream === undefined || this.keystream.length < bytes) {
      if (this.keystream !== undefined) releaseBuffer(this.keystream);
      this.keystream = Buffer.allocUnsafeSlow(Math.max(bytes, 2048));
    }
    this.generator.generate(this.ssrc, firstIndex, packetCount, bytesPerPacket, this.keystream);
    this.firstIndex = firstIndex;
    this.packetCount = packetCount;
    this.bytesPerPacket = bytesPerPacket;
    this.highestSlotUsed = -1;
  }
}
