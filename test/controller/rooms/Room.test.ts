import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Participant } from '../../../src/controller/rooms/Participant.ts';
import { Room } from '../../../src/controller/rooms/Room.ts';
import { isRoomSnapshot, SNAPSHOT_CHAT_MESSAGES } from '../../../src/controller/rooms/RoomSnapshot.ts';
import { StreamRecord } from '../../../src/controller/rooms/StreamRecord.ts';
import { RecordingSink } from '../fakes/RecordingSink.ts';

function sampleRoom(): Room {
  const room = new Room('lecture', 1_000);
  const ada = new Participant({
    participantId: 'p-ada',
    name: 'Ada',
    role: 'moderator',
    rejoinSecret: 'secret-ada',
    headless: false,
    externalUserId: 'lms-42',
    joinedAt: 2_000,
  });
  const obs = new Participant({
    participantId: 'p-obs',
    name: 'OBS',
    role: 'viewer',
    rejoinSecret: 'secret-obs',
    headless: true,
    joinedAt: 3_000,
  });
  ada.sink = new RecordingSink();
  ada.graceTimer = setTimeout(() => {}, 0);
  clearTimeout(ada.graceTimer);
  room.participants.set(ada.participantId, ada);
  room.participants.set(obs.participantId, obs);
  const camera = new StreamRecord({
    streamId: 's-cam',
    participantId: 'p-ada',
    kind: 'camera',
    hasAudio: true,
    hasVideo: true,
    nodeId: 'node-a',
    nodeUrl: 'http://10.0.0.2:7000',
    nodeStartedAt: 111,
  });
  camera.live = true;
  camera.audioMuted = true;
  const screen = new StreamRecord({
    streamId: 's-obs',
    participantId: 'p-obs',
    kind: 'screen',
    hasAudio: false,
    hasVideo: true,
    nodeId: 'node-b',
    nodeUrl: 'http://10.0.0.3:7000',
    nodeStartedAt: 222,
    startBy: 9_000,
  });
  for (const stream of [camera, screen]) {
    room.streams.set(stream.streamId, stream);
    room.participants.get(stream.participantId)!.streamIds.add(stream.streamId);
  }
  for (let i = 0; i < SNAPSHOT_CHAT_MESSAGES + 5; i++) {
    room.addChat({
      messageId: `m${i}`,
      participantId: 'p-ada',
      name: 'Ada',
      text: `line ${i}`,
      sentAt: 4_000 + i,
    });
  }
  return room;
}

test('a room survives the trip through its snapshot, as JSON, all but sockets and timers', () => {
  const original = sampleRoom();
  const snapshot = JSON.parse(JSON.stringify(original.toSnapshot()));
  assert.ok(isRoomSnapshot(snapshot));
  const restored = Room.fromSnapshot(snapshot);

  assert.equal(restored.name, 'lecture');
  assert.equal(restored.createdAt, 1_000);
  for (const [id, before] of original.participants) {
    const after = restored.participants.get(id)!;
    assert.deepEqual(
      { ...after.info(), secret: after.rejoinSecret, headless: after.headless, ext: after.externalUserId },
      {
        ...before.info(),
        secret: before.rejoinSecret,
        headless: before.headless,
        ext: before.externalUserId,
      },
    );
    assert.deepEqual([...after.streamIds], [...before.streamIds]);
    assert.equal(after.sink, undefined, 'nobody is connected to a restored room');
    assert.equal(after.graceTimer, undefined, 'timers are the adopter’s to start');
  }
  for (const [id, before] of original.streams) {
    const after = restored.streams.get(id)!;
    assert.deepEqual(after.info(), before.info());
    assert.equal(after.nodeUrl, before.nodeUrl);
    assert.equal(after.nodeStartedAt, before.nodeStartedAt);
    assert.equal(after.startBy, before.startBy);
  }
  assert.equal(restored.chat.length, SNAPSHOT_CHAT_MESSAGES, 'the snapshot keeps the chat’s tail');
  assert.deepEqual(restored.chat.at(-1), original.chat.at(-1));
  assert.deepEqual(restored.toSnapshot().participants, snapshot.participants);
});

test('a snapshot of another version, or not a snapshot, is recognised as such', () => {
  const snapshot = sampleRoom().toSnapshot();
  assert.equal(isRoomSnapshot({ ...snapshot, version: 2 }), false);
  assert.equal(isRoomSnapshot({ participants: [] }), false);
  assert.equal(isRoomSnapshot(null), false);
});

test('a stream whose publisher is missing from the snapshot (saved mid-leave) is left out', () => {
  const snapshot = sampleRoom().toSnapshot();
  snapshot.participants = snapshot.participants.filter((p) => p.participantId !== 'p-obs');
  const restored = Room.fromSnapshot(snapshot);
  assert.deepEqual([...restored.streams.keys()], ['s-cam']);
});
