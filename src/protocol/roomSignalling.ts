/**
 * The WebSocket contract between a participant (browser SDK) and a controller: `GET /ws` upgraded.
 * Media never flows here: streams are negotiated with the node that hosts their OTM (WHIP/WHEP),
 * the controller only tells each participant where and with which token.
 *
 * Every client message carries an `id`; the controller answers each with exactly one `response`.
 * Room events carry no id.
 */

export type StreamKind = 'camera' | 'screen';
export type Role = 'moderator' | 'viewer';

export interface ParticipantInfo {
  participantId: string;
  name: string;
  role: Role;
  joinedAt: number;
}

export interface StreamInfo {
  streamId: string;
  participantId: string;
  kind: StreamKind;
  hasAudio: boolean;
  hasVideo: boolean;
  audioMuted: boolean;
  videoMuted: boolean;
  /** The node carrying the stream's OTM; informative (dashboards, tests), clients never need it. */
  nodeId: string;
}

export interface ChatMessage {
  messageId: string;
  participantId: string;
  name: string;
  text: string;
  sentAt: number;
}

/** How to reach an OTM: the WHIP/WHEP endpoint on its node and a bearer token scoped to it. */
export interface MediaGrant {
  streamId: string;
  url: string;
  token: string;
  expiresAt: number;
  iceServers: RTCIceServerLike[];
}

export interface RTCIceServerLike {
  urls: string | string[];
  username?: string;
  credential?: string;
}

// ── client → controller ─────────────────────────────────────────────────────────────

export type ClientRequest =
  | { id: number; type: 'join'; room: string; name: string; rejoin?: RejoinTicket }
  | { id: number; type: 'publish'; kind: StreamKind; audio: boolean; video: boolean }
  | { id: number; type: 'republish'; streamId: string }
  | { id: number; type: 'unpublish'; streamId: string }
  | { id: number; type: 'subscribe'; streamId: string }
  | { id: number; type: 'mediaState'; streamId: string; audioMuted: boolean; videoMuted: boolean }
  | { id: number; type: 'chat'; text: string }
  | { id: number; type: 'leave' }
  | { id: number; type: 'ping' };

/** Handed out at join; presenting it again (after a reload or a dropped socket) resumes the same participant. */
export interface RejoinTicket {
  participantId: string;
  secret: string;
}

export interface JoinResult {
  room: string;
  self: ParticipantInfo;
  rejoin: RejoinTicket;
  participants: ParticipantInfo[];
  streams: StreamInfo[];
  chat: ChatMessage[];
  /** True when the rejoin ticket was accepted and this is the same participant as before. */
  resumed: boolean;
}

/** `publish` and `republish` answer a MediaGrant for WHIP; `subscribe` a MediaGrant for WHEP. */
export interface ResponseMap {
  join: JoinResult;
  publish: MediaGrant;
  republish: MediaGrant;
  unpublish: Record<string, never>;
  subscribe: MediaGrant;
  mediaState: Record<string, never>;
  chat: ChatMessage;
  leave: Record<string, never>;
  ping: { now: number };
}

export interface ErrorBody {
  /** Stable machine-readable code, e.g. 'bad-request', 'not-found', 'cluster-full', 'forbidden'. */
  code: string;
  message: string;
}

// ── controller → client ─────────────────────────────────────────────────────────────

export type ServerMessage =
  | { type: 'response'; id: number; ok: true; data: unknown }
  | { type: 'response'; id: number; ok: false; error: ErrorBody }
  | { type: 'participantJoined'; participant: ParticipantInfo }
  | { type: 'participantLeft'; participantId: string; reason: 'left' | 'timeout' | 'removed' }
  /** The stream's publisher is connected to its OTM: subscribe now. */
  | { type: 'streamAdded'; stream: StreamInfo }
  | { type: 'streamUpdated'; stream: StreamInfo }
  | { type: 'streamRemoved'; streamId: string }
  /**
   * The stream's OTM was placed again (node failure, drain): subscribers subscribe again, the
   * publisher republishes with `republish`. Same streamId.
   */
  | { type: 'streamMoved'; stream: StreamInfo }
  | { type: 'chat'; message: ChatMessage }
  | { type: 'roomClosed'; reason: string };

export const SIGNALLING_PATH = '/ws';
/** How long a participant whose socket dropped stays in the room waiting for a rejoin. */
export const DEFAULT_REJOIN_GRACE_MS = 15_000;
