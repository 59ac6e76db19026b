/**
 * Frees the memory of a buffer that is being replaced, now rather than at V8's next major GC.
 *
 * A long-lived buffer that is outgrown (a NACK cache slab, a keystream batch) has been promoted to the
 * old generation by then, and its backing store stays resident until a mark-compact finds it dead —
 * seconds to minutes on a busy worker, and megabytes at a time while caches size themselves.
 * `ArrayBuffer.prototype.transfer(0)` detaches it and releases the store at once. Only a view covering
 * its whole, unshared ArrayBuffer (from `Buffer.allocUnsafeSlow`, `Buffer.alloc` or a typed-array
 * constructor, never a slice of Node's Buffer pool) is released; anything else is left to the GC. Every
 * view of the buffer reads as empty afterwards, so nothing may still use it.
 */
export function releaseBuffer(view: ArrayBufferView): void {
  const buffer = view.buffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.detached || buffer.byteLength === 0) return;
  if (view.byteOffset !== 0 || view.byteLength !== buffer.byteLength) return;
  buffer.transfer(0);
}
