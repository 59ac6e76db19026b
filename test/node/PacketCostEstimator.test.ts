import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketCostEstimator } from '../../src/node/PacketCostEstimator.ts';

describe('PacketCostEstimator', () => {
  it('knows nothing until an interval carries real traffic', () => {
    const estimator = new PacketCostEstimator();
    estimator.observe(50_000, 100, 0.5); // 200 packets/s: idle overhead, not forwarding
    assert.equal(estimator.usPerPacket, undefined);
    assert.equal(estimator.capacity(2), undefined);
    estimator.observe(100_000, 10_000, 0.5); // 20k packets/s at 10 µs each
    assert.equal(estimator.usPerPacket, 10);
  });

  it('capacity is the packets per second the cores carry at 80 % of each', () => {
    const estimator = new PacketCostEstimator();
    estimator.observe(80_000, 10_000, 0.5); // 8 µs per packet
    assert.equal(estimator.capacity(2), 200_000); // 2 × 0.8 s of CPU per second / 8 µs
    assert.equal(estimator.capacity(1, 0.5), 62_500);
  });

  it('follows a change over a few intervals instead of jumping with one', () => {
    const estimator = new PacketCostEstimator();
    estimator.observe(100_000, 10_000, 0.5); // 10 µs
    estimator.observe(200_000, 10_000, 0.5); // one interval at 20 µs
    assert.equal(estimator.usPerPacket, 12);
    for (let i = 0; i < 20; i++) estimator.observe(200_000, 10_000, 0.5);
    assert.ok(Math.abs(estimator.usPerPacket! - 20) < 0.2, `converged to ${estimator.usPerPacket}`);
  });

  it('ignores nonsense intervals and bounds absurd ones', () => {
    const estimator = new PacketCostEstimator();
    estimator.observe(100_000, 10_000, 0);
    estimator.observe(-5, 10_000, 0.5);
    estimator.observe(Number.NaN, 10_000, 0.5);
    assert.equal(estimator.usPerPacket, undefined);
    estimator.observe(1e9, 10_000, 0.5);
    assert.equal(estimator.usPerPacket, 500);
  });
});
