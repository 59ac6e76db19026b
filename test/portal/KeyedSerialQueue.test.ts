import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedSerialQueue } from '../../src/portal/KeyedSerialQueue.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('work for one key runs in the order given, even when the first is slower', async () => {
  const queue = new KeyedSerialQueue();
  const done: string[] = [];
  const first = queue.run('room', async () => {
    await sleep(30);
    done.push('join');
  });
  const second = queue.run('room', async () => {
    done.push('leave');
  });
  await Promise.all([first, second]);
  assert.deepEqual(done, ['join', 'leave']);
});

test('keys run side by side; a failure is its caller’s and does not stop what follows', async () => {
  const queue = new KeyedSerialQueue();
  const done: string[] = [];
  const slow = queue.run('a', async () => {
    await sleep(30);
    done.push('a1');
  });
  const failing = queue.run('b', async () => {
    throw new Error('db down');
  });
  const after = queue.run('b', async () => {
    done.push('b2');
    return 42;
  });
  await assert.rejects(failing, /db down/);
  assert.equal(await after, 42);
  assert.deepEqual(done, ['b2']);
  await slow;
  assert.deepEqual(done, ['b2', 'a1']);
});

test('idle waits for everything given so far, and idle keys are forgotten', async () => {
  const queue = new KeyedSerialQueue();
  let finished = 0;
  for (let i = 0; i < 5; i++)
    void queue.run(`k${i % 2}`, async () => {
      await sleep(5);
      finished++;
    });
  assert.equal(queue.pending, 5);
  await queue.idle();
  assert.equal(finished, 5);
  assert.equal(queue.pending, 0);
});
