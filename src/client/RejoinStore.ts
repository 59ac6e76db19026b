import type { RejoinTicket } from '../protocol/roomSignalling.ts';
import { type MeetingDetails, meetingDetailsOf } from './meetingDetails.ts';

export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const KEY_PREFIX = 'dotm:rejoin:';

/**
 * Keeps the rejoin ticket per room in sessionStorage: it survives a reload of the tab (the same
 * participant comes back) but not closing it, and other tabs do not share it. Beside it, the
 * meeting's details (welcome, logout URL): a resumed join is not admitted again, so its answer
 * does not carry them, and a reloaded page still needs them.
 */
export class RejoinStore {
  readonly #storage: StorageLike | undefined;

  constructor(storage?: StorageLike | null) {
    this.#storage = storage === null ? undefined : (storage ?? defaultStorage());
  }

  load(room: string): RejoinTicket | undefined {
    try {
      const raw = this.#storage?.getItem(KEY_PREFIX + room);
      if (!raw) return undefined;
      const ticket = JSON.parse(raw) as Partial<RejoinTicket>;
      if (typeof ticket.participantId === 'string' && typeof ticket.secret === 'string') {
        return { participantId: ticket.participantId, secret: ticket.secret };
      }
    } catch {
      // Unreadable storage or a corrupt entry: join as someone new.
    }
    return undefined;
  }

  /** What the entry holds beside the ticket; undefined when nothing (or nothing usable). */
  loadMeeting(room: string): MeetingDetails | undefined {
    try {
      const raw = this.#storage?.getItem(KEY_PREFIX + room);
      return raw ? meetingDetailsOf((JSON.parse(raw) as { meeting?: unknown }).meeting) : undefined;
    } catch {
      return undefined;
    }
  }

  save(room: string, ticket: RejoinTicket, meeting?: MeetingDetails): void {
    const entry = {
      participantId: ticket.participantId,
      secret: ticket.secret,
      ...(meeting ? { meeting } : {}),
    };
    try {
      this.#storage?.setItem(KEY_PREFIX + room, JSON.stringify(entry));
    } catch {
      // Full or forbidden storage only costs resuming after a reload.
    }
  }

  clear(room: string): void {
    try {
      this.#storage?.removeItem(KEY_PREFIX + room);
    } catch {
      // As above.
    }
  }
}

function defaultStorage(): StorageLike | undefined {
  try {
    // Reading the property itself throws in sandboxed iframes.
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
}
