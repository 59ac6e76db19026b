import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RoomNodeRepository } from '../../src/db/RoomNodeRepository.ts';
import { describeEachEngine } from './dbRig.ts';

describeEachEngine('RoomNodeRepository', (engine) => {
  it('widens the seen interval of a session on a node, whatever order sightings arrive in', async () => {
    const db = await engine.migrated();
    const nodes = new RoomNodeRepository(db);
    await nodes.noteSeen([{ sessionId: 's', nodeId: 'n2' }], 200);
    await nodes.noteSeen(
      [
        { sessionId: 's', nodeId: 'n2' },
        { sessionId: 's', nodeId: 'n1' },
      ],
      300,
    );
    // A second controller's sighting from a moment earlier.
    await nodes.noteSeen([{ sessionId: 's', nodeId: 'n2' }], 100);
    await nodes.noteSeen([{ sessionId: 'other', nodeId: 'n1' }], 300);
    assert.deepEqual(await nodes.listForSession('s'), [
      { sessionId: 's', nodeId: 'n1', firstSeenAt: 300, lastSeenAt: 300 },
      { sessionId: 's', nodeId: 'n2', firstSeenAt: 100, lastSeenAt: 300 },
    ]);
    assert.equal(await nodes.pruneBefore(250), 0);
    assert.equal(await nodes.pruneBefore(301), 3);
    await db.close();
  });
});
