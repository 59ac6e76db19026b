import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ControllerExtension } from '../../src/controller/Controller.ts';
import type { JoinAdmission } from '../../src/controller/JoinAdmission.ts';
import { combineExtensions, fanOutObservers } from '../../src/stats/combineExtensions.ts';

it('tells every observer, even when one before it throws, then rethrows', () => {
  const heard: string[] = [];
  const observer = fanOutObservers(
    {
      participantJoined: () => {
        throw new Error('boom');
      },
    },
    undefined,
    {
      participantJoined: (room, p) => heard.push(`joined ${room} ${p.participantId}`),
      participantLeft: (room, id, reason) => heard.push(`left ${room} ${id} ${reason}`),
      roomClosed: (room, reason) => heard.push(`closed ${room} ${reason}`),
    },
  );
  assert.throws(
    () => observer.participantJoined?.('r', { participantId: 'p', name: 'P', role: 'viewer' }),
    /boom/,
  );
  observer.participantLeft?.('r', 'p', 'left');
  observer.roomClosed?.('r', 'empty');
  assert.deepEqual(heard, ['joined r p', 'left r p left', 'closed r empty']);
});

it('combines extensions: first admission, all mounts in order, every close in reverse order', async () => {
  const closed: string[] = [];
  const admission = {} as JoinAdmission;
  const mount = (name: string) => Object.assign(async () => false, { label: name });
  const a: ControllerExtension = {
    admission,
    mounts: [mount('a')],
    close: async () => {
      closed.push('a');
    },
  };
  const b: ControllerExtension = {
    mounts: [mount('b1'), mount('b2')],
    close: async () => {
      closed.push('b');
      throw new Error('b failed');
    },
  };
  const combined = combineExtensions(a, undefined, b);
  assert.equal(combined.admission, admission);
  assert.deepEqual(
    combined.mounts?.map((m) => (m as unknown as { label: string }).label),
    ['a', 'b1', 'b2'],
  );
  await assert.rejects(combined.close!(), /b failed/);
  assert.deepEqual(closed, ['b', 'a']);
});
