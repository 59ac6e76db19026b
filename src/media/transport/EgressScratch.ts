/**
 * The buffer every forwarded packet of this process is rewritten, encrypted and sent from.
 *
 * A fresh Buffer per forwarded packet is tens of MB/s of external memory at high fan-out, and V8 only
 * collects it after its external-memory limit (~64 MiB) or the next scavenge: that garbage was most of
 * a worker's resident memory, and its major GCs the worker's event-loop stalls. Reusing one buffer is
 * safe because a dgram send on a bound socket with a synchronous lookup first tries
 * `uv_udp_try_send`, which copies the datagram into the kernel before `send()` returns. Only when the
 * kernel refuses (a full socket buffer) does libuv queue the send and keep pointing into our memory,
 * so after each send the socket's queue is checked and a queued scratch is handed over to the send
 * (Node's SendWrap keeps it alive) and replaced. Everything here is synchronous and single-threaded.
 */
export class EgressScratch {
  readonly #bytes: number;
  #buffer: Buffer;
  /** How many times a queued send took the scratch with it. */
  replaced = 0;

  constructor(bytes: number) {
    this.#bytes = bytes;
    this.#buffer = Buffer.allocUnsafeSlow(bytes);
  }

  /** The scratch when `length` bytes fit, else a one-off buffer. Valid until the next send. */
  take(length: number): Buffer {
    return length <= this.#bytes ? this.#buffer : Buffer.allocUnsafe(length);
  }

  /** Called when a send of `buf` may still be queued in libuv: it must not be written to again. */
  queued(buf: Buffer): void {
    if (buf.buffer !== this.#buffer.buffer) return;
    this.#buffer = Buffer.allocUnsafeSlow(this.#bytes);
    this.replaced++;
  }
}

/** Ample for any RTP packet of a 1500-byte MTU plus added header extensions and the SRTP trailer. */
export const egressScratch = new EgressScratch(4096);
