import type { MediaLocks, ParticipantInfo, Role, ServerMessage } from '../../protocol/roomSignalling.ts';

/** Where a participant's room events go: its WebSocket, or nowhere for WHIP-only publishers. */
export interface ParticipantSink {
  send(message: ServerMessage): void;
  /** Ends the connection with a WebSocket close code (e.g. "reconnect: the room moved"). */
  close?(code: number, reason: string): void;
}

export class Participant {
  readonly participantId: string;
  readonly name: string;
  readonly role: Role;
  readonly joinedAt: number;
  /** Presented again (after a reload or a dropped socket) to resume this participant. */
  readonly rejoinSecret: string;
  /** True for WHIP-only publishers (OBS, GStreamer): no socket, gone when their stream ends. */
  readonly headless: boolean;
  /** The portal's userID when the participant came through a join token. */
  readonly externalUserId: string | undefined;
  /** Where the participant is, when its admission knew (JoinAdmission's Admitted.region): placement prefers it. */
  readonly region: string | undefined;
  /** What the participant may not publish; undefined: nothing locked. */
  readonly locks: MediaLocks | undefined;
  readonly streamIds = new Set<string>();
  /** Publishes waiting for their OTM: they count against the per-participant limit. */
  pendingPublishes = 0;
  sink: ParticipantSink | undefined;
  graceTimer: NodeJS.Timeout | undefined;

  constructor(init: {
    participantId: string;
    name: string;
    role: Role;
    rejoinSecret: string;
    headless: boolean;
    externalUserId?: string;
    region?: string;
    locks?: MediaLocks;
    /** Kept from a snapshot when another controller takes the room over. */
    joinedAt?: number;
  }) {
    this.participantId = init.participantId;
    this.name = init.name;
    this.role = init.role;
    this.rejoinSecret = init.rejoinSecret;
    this.headless = init.headless;
    this.externalUserId = init.externalUserId;
    this.region = init.region || undefined;
    this.locks = init.locks?.camera || init.locks?.microphone ? { ...init.locks } : undefined;
    this.joinedAt = init.joinedAt ?? Date.now();
  }

  info(): ParticipantInfo {
    return {
      participantId: this.participantId,
      name: this.name,
      role: this.role,
      joinedAt: this.joinedAt,
      ...(this.locks ? { locks: { ...this.locks } } : {}),
    };
  }
}
