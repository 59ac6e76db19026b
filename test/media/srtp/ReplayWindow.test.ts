import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayWindow } from '../../../src/media/srtp/ReplayWindow.ts';

describe('ReplayWindow', () => {
  it('accepts new indices, rejects repeats and anything older than the window', () => {
    const window = new ReplayWindow(128);
    assert.ok(!window.isReplay(1000));
    window.accept(1000);
    assert.ok(window.isReplay(1000));
    assert.ok(!window.isReplay(999), 'late but inside the window');
    window.accept(999);
    assert.ok(window.isReplay(999));
    assert.ok(!window.isReplay(1000 - 127));
    assert.ok(window.isReplay(1000 - 128), 'just outside the window');
    assert.ok(!window.isReplay(1001));
  });

  it('forgets slots once the window has moved past them', () => {
    const window = new ReplayWindow(16);
    window.accept(5);
    window.accept(5 + 16 * 3);
    assert.ok(!window.isReplay(5 + 16 * 3 - 1));
    assert.ok(window.isReplay(5 + 16 * 3));
    assert.ok(window.isReplay(5));
  });

  it('handles 48-bit indices', () => {
    const window = new ReplayWindow(1024);
    const high = 0xfffffffe * 0x10000 + 0xffff;
    window.accept(high);
    assert.ok(window.isReplay(high));
    assert.ok(!window.isReplay(high - 1));
    assert.ok(!window.isReplay(high + 1));
  });

  it('wants a power-of-two size', () => {
    assert.throws(() => new ReplayWindow(100), RangeError);
  });
});
