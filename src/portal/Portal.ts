import type { ControllerExtension } from '../controller/Controller.ts';
import type { RoomObserver } from '../controller/RoomObserver.ts';
import type { Participant } from '../controller/rooms/Participant.ts';
import type { Database } from '../db/Database.ts';
import { MeetingRepository } from '../db/MeetingRepository.ts';
import type { Logger } from '../log/Logger.ts';
import { BbbApi } from './BbbApi.ts';
import type { JoinTokens } from './JoinTokens.ts';
import { MeetingLifecycle } from './MeetingLifecycle.ts';
import type { MeetingRuntime } from './MeetingRuntime.ts';
import { PortalAdmission } from './PortalAdmission.ts';

/** What the portal needs of the controller's rooms. */
export interface PortalRooms {
  endRoom(room: string, reason: string): Promise<boolean>;
  roomMembers(room: string): { participant: Participant; hasAudio: boolean; hasVideo: boolean }[] | undefined;
}

export interface PortalOptions {
  db: Database;
  joinTokens: JoinTokens;
  /** Where users reach the meeting page, for join redirects (a function: known once listening). */
  publicUrl: () => string;
  sweepIntervalMs: number;
  emptyMeetingGraceMs: number;
  unjoinedMeetingExpiryMs: number;
  log: Logger;
}

/**
 * The BigBlueButton front door as a controller extension: the API mounted on the controller's HTTP
 * server, admission by join token, meeting history kept from room events, and a sweep that ends
 * meetings that emptied, were never joined, or ran out of time.
 */
export class Portal implements ControllerExtension {
  readonly admission: PortalAdmission;
  readonly observer: RoomObserver;
  readonly mounts: ControllerExtension['mounts'];
  readonly #lifecycle: MeetingLifecycle;
  readonly #sweeper: NodeJS.Timeout;
  readonly #log: Logger;
  #sweeping: Promise<unknown> | undefined;

  constructor(rooms: PortalRooms, options: PortalOptions) {
    this.#log = options.log.child({ component: 'portal' });
    const runtime = roomsAsRuntime(rooms);
    const api = new BbbApi({
      db: options.db,
      runtime,
      joinTokens: options.joinTokens,
      publicUrl: options.publicUrl,
      log: options.log,
    });
    this.mounts = [api.handler];
    this.admission = new PortalAdmission(options.joinTokens, new MeetingRepository(options.db));
    this.#lifecycle = new MeetingLifecycle({
      db: options.db,
      runtime,
      log: options.log,
      emptyGraceMs: options.emptyMeetingGraceMs,
      unjoinedExpiryMs: options.unjoinedMeetingExpiryMs,
    });
    const record = (what: string, work: Promise<unknown>) =>
      work.catch((error: unknown) => this.#log.error(`could not record ${what}`, { error }));
    this.observer = {
      participantJoined: (room, participant) => {
        record(
          'a join',
          this.#lifecycle.participantJoined(room, {
            participantId: participant.participantId,
            userId: participant.externalUserId ?? participant.participantId,
            fullName: participant.name,
            role: participant.role,
          }),
        );
      },
      participantLeft: (room, participantId, reason) => {
        record('a leave', this.#lifecycle.participantLeft(room, participantId, reason));
      },
    };
    this.#sweeper = setInterval(() => {
      if (this.#sweeping) return; // a slow database must not pile sweeps up
      this.#sweeping = this.#lifecycle
        .sweep()
        .catch((error: unknown) => this.#log.error('meeting sweep failed', { error }))
        .finally(() => {
          this.#sweeping = undefined;
        });
    }, options.sweepIntervalMs);
    this.#sweeper.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#sweeping;
  }
}

function roomsAsRuntime(rooms: PortalRooms): MeetingRuntime {
  return {
    // The room opens when its first participant arrives; nothing to prepare ahead.
    ensureRoom: async () => {},
    endRoom: async (room) => {
      await rooms.endRoom(room, 'the meeting was ended');
    },
    liveRoom: async (room) => {
      const members = rooms.roomMembers(room);
      if (!members) return undefined;
      return {
        participants: members.map(({ participant, hasAudio, hasVideo }) => ({
          participantId: participant.participantId,
          userId: participant.externalUserId,
          fullName: participant.name,
          role: participant.role,
          hasAudio,
          hasVideo,
        })),
      };
    },
  };
}
