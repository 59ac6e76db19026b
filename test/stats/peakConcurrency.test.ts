import assert from 'node:assert/strict';
import { it } from 'node:test';
import { peakPerSlot, slotStarts } from '../../src/stats/peakConcurrency.ts';

it('slots cover [from, to), the last one cut at to', () => {
  assert.deepEqual(slotStarts(0, 25, 10), [0, 10, 20]);
  assert.deepEqual(slotStarts(0, 30, 10), [0, 10, 20]);
  assert.deepEqual(slotStarts(5, 6, 10), [5]);
});

it('counts the most stays present at one instant in each slot', () => {
  const stays = [
    { joinedAt: -5, leftAt: 12 }, // there from before the interval
    { joinedAt: 3, leftAt: 8 },
    { joinedAt: 4, leftAt: 6 },
    { joinedAt: 11, leftAt: undefined }, // still there
    { joinedAt: 40, leftAt: 50 }, // after the interval
  ];
  assert.deepEqual(peakPerSlot(stays, 0, 30, 10), [3, 2, 1]);
  assert.deepEqual(peakPerSlot(stays, 0, 30, 30), [3]);
});

it('a leave and a join at the same instant are not two people; a stay ending at a slot start is not in it', () => {
  const handover = [
    { joinedAt: 0, leftAt: 10 },
    { joinedAt: 10, leftAt: 20 },
  ];
  assert.deepEqual(peakPerSlot(handover, 0, 20, 20), [1]);
  assert.deepEqual(peakPerSlot(handover, 0, 20, 10), [1, 1]);
  assert.deepEqual(peakPerSlot([{ joinedAt: 0, leftAt: 10 }], 0, 20, 10), [1, 0]);
});

it('ignores empty and backwards stays', () => {
  assert.deepEqual(
    peakPerSlot(
      [
        { joinedAt: 5, leftAt: 5 },
        { joinedAt: 7, leftAt: 3 },
      ],
      0,
      10,
      10,
    ),
    [0],
  );
});
