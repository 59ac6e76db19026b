import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRoomDirectory } from '../../src/cluster/memory/MemoryRoomDirectory.ts';
import { RoomSnapshotWriter } from '../../src/controller/RoomSnapshotWriter.ts';
import { Room } from '../../src/controller/rooms/Room.ts';
import { quietLogger } from '../../src/log/Logger.ts';
import { waitFor } from '../support/startTestCluster.ts';
import { CuttableDirectory, SharedDirectory } from './fakes/CuttableDirectory.ts';

/** A directory that counts saves and can hold them (a slow Redis). */
class SlowDirectory extends MemoryRoomDirectory {
  saves = 0;
  held: Array<() => void> | undefined;
  override async saveSnapshot(room: string, snapshot: unknown): Promise<void> {
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    this.saves++;
    await super.saveSnapshot(room, snapshot);
  }
}

function writerOver(directory: MemoryRoomDirectory | CuttableDirectory, rooms: Map<string, Room>) {
  const released: string[] = [];
  const writer = new RoomSnapshotWriter({
    directory,
    snapshotOf: (name) => rooms.get(name)?.toSnapshot(),
    afterDelete: async (name) => {
      released.push(name);
    },
    flushTimeoutMs: 200,
    log: quietLogger(),
  });
  return { writer, released };
}

test('changes made while a write is on its way ride along with the next one', async () => {
  const directory = new SlowDirectory();
  const rooms = new Map([['r', new Room('r')]]);
  const { writer } = writerOver(directory, rooms);
  directory.held = [];
  writer.changed('r');
  await new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < 10; i++) {
    rooms.get('r')!.addChat({ messageId: `${i}`, participantId: 'p', name: 'P', text: `${i}`, sentAt: i });
    writer.changed('r');
  }
  const flushed = writer.flush('r');
  const held = directory.held;
  directory.held = undefined;
  for (const release of held) release();
  await flushed;
  assert.equal(directory.saves, 2, 'one write in flight, one for the ten changes after it');
  const saved = (await directory.loadSnapshot('r')) as { chat: unknown[] };
  assert.equal(saved.chat.length, 10);
});

test('a closed room’s snapshot is deleted after any write queued before, then its lease let go', async () => {
  const directory = new SlowDirectory();
  const rooms = new Map([['r', new Room('r')]]);
  const { writer, released } = writerOver(directory, rooms);
  directory.held = [];
  writer.changed('r');
  await new Promise((resolve) => setImmediate(resolve));
  rooms.delete('r');
  writer.changed('r');
  const flushed = writer.flush('r');
  for (const release of directory.held) release();
  directory.held = undefined;
  await flushed;
  assert.equal(await directory.loadSnapshot('r'), undefined, 'the late save did not bring the room back');
  assert.deepEqual(released, ['r']);
  assert.equal(writer.isIdle('r'), true);
});

test('with the directory unreachable a request waits at most the flush timeout, and the write is retried', async () => {
  const shared = new SharedDirectory();
  const directory = new CuttableDirectory(shared);
  const rooms = new Map([['r', new Room('r')]]);
  const { writer } = writerOver(directory, rooms);
  directory.cut = true;
  writer.changed('r');
  const started = Date.now();
  await writer.flush('r');
  assert.ok(Date.now() - started < 150, 'a failed write releases its waiters at once');
  assert.equal(await shared.current.loadSnapshot('r'), undefined);

  // Until a write succeeds again, requests do not wait for writes at all.
  writer.changed('r');
  const quick = Date.now();
  await writer.flush('r');
  assert.ok(Date.now() - quick < 50);

  directory.cut = false;
  writer.retryFailed();
  await waitFor('the snapshot written', () => shared.current.loadSnapshot('r'));
});
