import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryClusterState } from '../../src/cluster/memory/MemoryClusterState.ts';
import { NodeWatcher } from '../../src/controller/NodeWatcher.ts';
import { nodeReport } from './roomServiceRig.ts';

test('the watcher reports a node that stopped reporting once, and a restarted node by its new start time', async () => {
  let now = 1_000;
  const state = new MemoryClusterState(() => now);
  const seen: string[] = [];
  const watcher = new NodeWatcher(state, {
    onNodeLost: async (nodeId) => {
      seen.push(`lost ${nodeId}`);
    },
    onNodeRestarted: async (nodeId, startedAt) => {
      seen.push(`restarted ${nodeId} ${startedAt}`);
    },
  });
  await state.putNode(nodeReport('a', { startedAt: 1 }), 3_000);
  await state.putNode(nodeReport('b', { startedAt: 1 }), 3_000);
  await watcher.check();
  await watcher.check();
  assert.deepEqual(seen, [], 'new and unchanged nodes are no news');

  await state.putNode(nodeReport('a', { startedAt: 7 }), 3_000); // restarted within its TTL
  await watcher.check();
  assert.deepEqual(seen, ['restarted a 7']);

  now += 3_000; // b stopped reporting
  await state.putNode(nodeReport('a', { startedAt: 7 }), 3_000);
  await watcher.check();
  await watcher.check();
  assert.deepEqual(seen, ['restarted a 7', 'lost b']);

  await state.putNode(nodeReport('b', { startedAt: 9 }), 3_000); // b came back later: a new node
  await watcher.check();
  assert.deepEqual(seen, ['restarted a 7', 'lost b']);
});

test('a node missing from the state but still answering (Redis restarted) is not lost; one that does not answer is', async () => {
  const state = new MemoryClusterState();
  const seen: string[] = [];
  const answering = new Set(['a']);
  const watcher = new NodeWatcher(state, {
    onNodeLost: async (nodeId) => {
      seen.push(`lost ${nodeId}`);
    },
    onNodeRestarted: async (nodeId) => {
      seen.push(`restarted ${nodeId}`);
    },
    stillAlive: async (report) => answering.has(report.nodeId),
  });
  await state.putNode(nodeReport('a'), 3_000);
  await state.putNode(nodeReport('b'), 3_000);
  await watcher.check();
  await state.removeNode('a'); // the state lost both, as after a Redis restart
  await state.removeNode('b');
  await watcher.check();
  assert.deepEqual(seen, ['lost b'], 'b does not answer: lost; a answers: waits for its heartbeat');
  await watcher.check();
  assert.deepEqual(seen, ['lost b'], 'asked again, still alive');
  await state.putNode(nodeReport('a'), 3_000); // its next heartbeat
  await watcher.check();
  assert.deepEqual(seen, ['lost b'], 'back as the same process: nothing happened');
  await state.removeNode('a');
  answering.delete('a');
  await watcher.check();
  assert.deepEqual(seen, ['lost b', 'lost a']);
});
