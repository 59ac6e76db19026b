import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { releaseBuffer } from '../../src/media/releaseBuffer.ts';

describe('releaseBuffer', () => {
  it('frees a buffer that owns its whole ArrayBuffer', () => {
    const slab = Buffer.allocUnsafeSlow(64 * 1024);
    const index = new Float64Array(256);
    releaseBuffer(slab);
    releaseBuffer(index);
    assert.equal(slab.buffer.detached, true);
    assert.equal(slab.length, 0);
    assert.equal(index.length, 0);
    releaseBuffer(slab); // twice is harmless
  });

  it('leaves pool slices, partial views and empty buffers to the GC', () => {
    const pooled = Buffer.from('a short string from the shared pool');
    const neighbour = Buffer.from('another one');
    releaseBuffer(pooled);
    assert.equal(pooled.toString(), 'a short string from the shared pool');
    assert.equal(neighbour.toString(), 'another one');
    const whole = Buffer.allocUnsafeSlow(1024).fill(7);
    const part = whole.subarray(0, 512);
    releaseBuffer(part);
    assert.equal(whole.buffer.detached, false);
    assert.equal(part[0], 7);
    releaseBuffer(Buffer.alloc(0));
  });
});
