import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryClusterState } from '../../src/cluster/memory/MemoryClusterState.ts';
import type { NodeReport } from '../../src/cluster/NodeReport.ts';
import {
  DEFRAGMENT_REASON,
  Defragmenter,
  type DefragmentSettings,
  type NodeDrainCommands,
} from '../../src/controller/Defragmenter.ts';
import { quietLogger } from '../../src/log/Logger.ts';
import { nodeReport } from './roomServiceRig.ts';

const SETTINGS: DefragmentSettings = {
  intervalMs: 1000,
  maxOtms: 2,
  maxUtilization: 0.1,
  targetUtilization: 0.6,
};

/** Nodes in a memory cluster state; drain/undrain change their reports as the nodes would. */
async function cluster(reports: NodeReport[]) {
  const state = new MemoryClusterState();
  const byId = new Map(reports.map((r) => [r.nodeId, r]));
  const put = () => Promise.all([...byId.values()].map((r) => state.putNode(r, 60_000)));
  await put();
  const calls: string[] = [];
  const commands: NodeDrainCommands = {
    async drain(nodeId, { reason }) {
      calls.push(`drain ${nodeId}`);
      Object.assign(byId.get(nodeId)!, { draining: true, drain: { reason, force: false, since: 1 } });
      await put();
    },
    async undrain(nodeId) {
      calls.push(`undrain ${nodeId}`);
      const report = byId.get(nodeId)!;
      delete report.drain;
      report.draining = false;
      await put();
    },
  };
  const defragmenter = (holder: string, settings = SETTINGS) =>
    new Defragmenter({ clusterState: state, commands, holder, settings, log: quietLogger() });
  return { state, byId, calls, put, defragmenter };
}

/** A node with `otms` OTMs at `share` of its packet capacity. */
function node(nodeId: string, otms: number, share: number): NodeReport {
  return nodeReport(nodeId, { load: { otms, packetsOutPerSecond: share * 25_000 } });
}

test('the emptiest nearly empty node is drained when the others can take its load', async () => {
  const c = await cluster([node('busy', 20, 0.5), node('quiet', 1, 0.05), node('idle', 0, 0)]);
  const result = await c.defragmenter('ctl-1').tick();
  assert.deepEqual(result, { leader: true, drained: 'idle' });
  assert.equal(c.byId.get('idle')!.drain?.reason, DEFRAGMENT_REASON);
  // The drained node is empty already: the next look takes the next one.
  assert.deepEqual(await c.defragmenter('ctl-1').tick(), { leader: true, drained: 'quiet' });
  // One active node is always kept.
  assert.deepEqual(await c.defragmenter('ctl-1').tick(), { leader: true });
});

test('no node is drained while the one drained before still carries OTMs, or when the others would pass the target', async () => {
  const c = await cluster([node('a', 1, 0.05), node('b', 1, 0.05), node('full', 30, 0.7)]);
  assert.deepEqual(await c.defragmenter('ctl-1').tick(), { leader: true, drained: 'a' });
  assert.deepEqual(await c.defragmenter('ctl-1').tick(), { leader: true }, '"a" is still emptying');
  Object.assign(c.byId.get('a')!.load, { otms: 0, packetsOutPerSecond: 0 });
  await c.put();
  // "b" and "full" alone: (0.7 + 0.05) / 1 > 0.6.
  assert.deepEqual(await c.defragmenter('ctl-1').tick(), { leader: true });
  assert.deepEqual(c.calls, ['drain a']);
});

test('a defragmented node is taken back when the active nodes pass the target; an operator’s drain is not', async () => {
  const c = await cluster([node('a', 0, 0), node('b', 10, 0.3), node('ops', 0, 0)]);
  Object.assign(c.byId.get('ops')!, {
    draining: true,
    drain: { reason: 'operator', force: false, since: 1 },
  });
  await c.put();
  assert.deepEqual(await c.defragmenter('ctl-1').tick(), { leader: true, drained: 'a' });
  Object.assign(c.byId.get('b')!.load, { packetsOutPerSecond: 0.9 * 25_000 });
  await c.put();
  assert.deepEqual(await c.defragmenter('ctl-1').tick(), { leader: true, undrained: 'a' });
  assert.equal(c.byId.get('ops')!.drain?.reason, 'operator');
  assert.deepEqual(c.calls, ['drain a', 'undrain a']);
});

test('only the controller holding the lease defragments; it passes on when released', async () => {
  const c = await cluster([node('busy', 20, 0.5), node('idle', 0, 0)]);
  const first = c.defragmenter('ctl-1');
  const second = c.defragmenter('ctl-2');
  assert.equal((await first.tick()).leader, true);
  assert.deepEqual(await second.tick(), { leader: false });
  await first.close();
  assert.equal((await second.tick()).leader, true);
  assert.deepEqual(c.calls, ['drain idle']);
});
