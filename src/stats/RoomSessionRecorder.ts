import type { ObservedParticipant, RoomObserver } from '../controller/RoomObserver.ts';
import type { Database } from '../db/Database.ts';
import { MeetingRepository } from '../db/MeetingRepository.ts';
import { RoomSessionRepository } from '../db/RoomSessionRepository.ts';
import type { Logger } from '../log/Logger.ts';

export interface RoomSessionRecorderOptions {
  db: Database;
  log: Logger;
  now?: () => number;
}

type Known = { kind: 'portal' } | { kind: 'direct'; sessionId: string };

/**
 * Keeps the history of rooms that are not portal meetings (the meeting page's rooms, WHIP
 * publishers): when they opened and closed, who was inside when, their peak. Portal meetings are left
 * to the portal, which records them in meetings/attendance. A room's events are written in the order
 * they happened (one queue per room); a failure is logged and never reaches the room.
 */
export class RoomSessionRecorder implements RoomObserver {
  readonly #sessions: RoomSessionRepository;
  readonly #meetings: MeetingRepository;
  readonly #log: Logger;
  readonly #now: () => number;
  /** What each room open here is, so later events need no lookup. */
  readonly #known = new Map<string, Known>();
  readonly #queues = new Map<string, Promise<void>>();

  constructor(options: RoomSessionRecorderOptions) {
    this.#sessions = new RoomSessionRepository(options.db);
    this.#meetings = new MeetingRepository(options.db);
    this.#log = options.log.child({ component: 'room-history' });
    this.#now = options.now ?? Date.now;
  }

  participantJoined(room: string, participant: ObservedParticipant): void {
    const at = this.#now();
    this.#enqueue(room, 'a join', async () => {
      const known = await this.#resolve(room, at);
      if (known.kind === 'direct')
        await this.#sessions.recordJoin(known.sessionId, participant.participantId, at);
    });
  }

  participantLeft(room: string, participantId: string, reason: string): void {
    const at = this.#now();
    this.#enqueue(room, 'a leave', async () => {
      // After a failover the new home never saw the room open: the open session is looked up.
      let known = this.#known.get(room);
      if (!known) {
        const open = await this.#sessions.findOpen(room);
        if (!open) return;
        known = { kind: 'direct', sessionId: open.id };
        this.#known.set(room, known);
      }
      if (known.kind === 'direct')
        await this.#sessions.recordLeave(known.sessionId, participantId, at, reason);
    });
  }

  roomClosed(room: string, reason: string): void {
    const at = this.#now();
    this.#enqueue(room, 'a room closing', async () => {
      this.#known.delete(room);
      await this.#sessions.close(room, at, reason);
    });
  }

  /** Waits for every event received so far to be written (the controller is closing). */
  async flush(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all([...this.#queues.values()]);
  }

  async #resolve(room: string, at: number): Promise<Known> {
    const cached = this.#known.get(room);
    if (cached) return cached;
    // A portal meeting exists before anyone joins it (its create call), so this decides at the first join.
    const known: Known = (await this.#meetings.findActiveByRoom(room))
      ? { kind: 'portal' }
      : { kind: 'direct', sessionId: (await this.#sessions.openIfAbsent(room, at)).session.id };
    this.#known.set(room, known);
    return known;
  }

  #enqueue(room: string, what: string, work: () => Promise<void>): void {
    const previous = this.#queues.get(room) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((error: unknown) => this.#log.error(`could not record ${what}`, { room, error }))
      .finally(() => {
        if (this.#queues.get(room) === next) this.#queues.delete(room);
      });
    this.#queues.set(room, next);
  }
}
