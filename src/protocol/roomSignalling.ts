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
  /** What this participant may not publish (a portal meeting's lock settings for viewers); absent: nothing locked. */
  locks?: MediaLocks;
}

/** BigBlueButton's lock settings as they bind one participant: true = may not publish it. */
export interface MediaLocks {
  camera: boolean;
  microphone: boolean;
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
  /**
   * The publisher's media has reached the stream's current OTM: WHEP works (before that the node
   * answers 409). It stays true while the publisher is briefly away (network change): the OTM
   * keeps its tracks and subscribers wait. The controller sets it on every StreamInfo it sends —
   * always true in `JoinResult.streams`, `streamAdded` and `streamUpdated`; in `streamMoved` false
   * after a failure (the new OTM waits for its publisher) and true after a migration (the
   * publisher already reached the new OTM: subscribe there first, then leave the old one);
   * optional only so that older senders stay valid.
   */
  live?: boolean;
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
  | {
      id: number;
      type: 'join';
      room: string;
      name: string;
      rejoin?: RejoinTicket;
      /** A signed invitation (the BigBlueButton API's join redirect carries one): sets name and role. */
      joinToken?: string;
    }
  | { id: number; type: 'publish'; kind: StreamKind; audio: boolean; video: boolean }
  | { id: number; type: 'republish'; streamId: string }
  | { id: number; type: 'refreshGrant'; streamId: string }
  | { id: number; type: 'unpublish'; streamId: string }
  | { id: number; type: 'subscribe'; streamId: string }
  | { id: number; type: 'mediaState'; streamId: string; audioMuted: boolean; videoMuted: boolean }
  | { id: number; type: 'chat'; text: string }
  | { id: number; type: 'leave' }
  | { id: number; type: 'ping' }
  // Moderators only (viewers get 'forbidden'); see ModeratorRequests below.
  | { id: number; type: 'muteParticipant'; participantId: string; audio?: true; video?: true }
  | { id: number; type: 'removeParticipant'; participantId: string }
  | { id: number; type: 'endMeeting' };

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
  /**
   * Live streams only (see StreamInfo.live), a resuming participant's own included: a stream whose
   * publisher has not connected yet, or which has just moved, arrives later as `streamAdded`. A rejoining
   * client whose own stream is missing asks for it with `republish`.
   */
  streams: StreamInfo[];
  chat: ChatMessage[];
  /** True when the rejoin ticket was accepted and this is the same participant as before. */
  resumed: boolean;
  /**
   * What the portal that runs this meeting wants the person to see on entering (BigBlueButton's
   * `welcome`): plain text, never markup; show it with textContent. Only on a join that was
   * admitted now: a resumed join (`resumed: true`) leaves it out, the client keeps what it had.
   * Absent outside portal meetings; older clients ignore it.
   */
  welcome?: string;
  /**
   * Where the page sends the person once they leave, are removed, or the meeting ends (the portal's
   * `logoutURL`, else its tenant's): always an absolute http(s) URL; clients check again before
   * navigating. Like `welcome`, only on a join admitted now.
   */
  logoutUrl?: string;
  /** The meeting's name as its portal created it (BigBlueButton's `name`), for the page's title. */
  meetingName?: string;
  /** The meeting page's layout the portal chose (BigBlueButton's `meetingLayout`); absent: 'smart'. */
  layout?: MeetingLayout;
  /**
   * The document the portal attached for everyone (BigBlueButton's `preUploadedPresentation`): an
   * absolute http(s) URL and its name. Like `welcome`, only on a join admitted now.
   */
  presentation?: { url: string; name?: string };
}

/**
 * How the page arranges the streams: 'smart' (default) and 'presentation-focus' give a screen share
 * the whole width above the cameras; 'video-focus' shows every stream as an equal tile.
 */
export type MeetingLayout = 'smart' | 'presentation-focus' | 'video-focus';

/**
 * `publish` and `republish` answer a MediaGrant for WHIP; `subscribe` a MediaGrant for WHEP.
 *
 * `refreshGrant` answers a fresh grant (new token, and the URL on the stream's current node) for a
 * stream the participant already publishes or watches: WHIP for its own stream, WHEP for anyone
 * else's. Ask for one when a token has expired or is about to (`expiresAt`), e.g. before an ICE
 * restart PATCH or a new POST after ICE failed. It never places or moves anything; `not-found` when
 * the stream is gone.
 *
 * `chat` answers the stored message (server `messageId` and `sentAt`, trimmed text). The sender
 * also receives the same message as a `chat` event, like everyone in the room, in an order not
 * guaranteed relative to the response: deduplicate by `messageId`.
 */
export interface ResponseMap {
  join: JoinResult;
  publish: MediaGrant;
  republish: MediaGrant;
  refreshGrant: MediaGrant;
  unpublish: Record<string, never>;
  subscribe: MediaGrant;
  mediaState: Record<string, never>;
  chat: ChatMessage;
  leave: Record<string, never>;
  ping: { now: number };
  muteParticipant: Record<string, never>;
  removeParticipant: Record<string, never>;
  endMeeting: Record<string, never>;
}

/**
 * What moderators may do to others; a viewer asking gets 'forbidden', a target not in the room
 * 'not-found', a moderator naming itself 'bad-request'.
 *
 * - `muteParticipant`: at least one of `audio`/`video`. The controller marks the target's camera
 *   streams muted at once (as if the target had sent `mediaState`: the room gets `streamUpdated`
 *   for live ones) and sends the target `muteRequested`; its SDK mutes the microphone/camera and
 *   confirms with `mediaState`. The target may unmute again with `mediaState`: this is a request,
 *   not a lock.
 * - `removeParticipant`: the target gets `removed`, then leaves as on `leave` with reason
 *   'removed' (its streams end as 'publisher-left', their OTMs are closed) and its rejoin ticket
 *   no longer resumes it.
 * - `endMeeting`: everyone gets `roomClosed` with reason 'ended by a moderator', every OTM of the
 *   room is closed and the room forgotten.
 */
export const ENDED_BY_MODERATOR = 'ended by a moderator';

export interface ErrorBody {
  /**
   * Stable machine-readable code, e.g. 'bad-request', 'not-found', 'cluster-full', 'forbidden',
   * 'bad-room-name' (see roomName.ts).
   */
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
  /** The stream ended and its OTM is closed: nothing left to DELETE. */
  | { type: 'streamRemoved'; streamId: string; reason?: StreamRemovedReason }
  /**
   * The stream's OTM was placed again (node failure, drain): subscribers subscribe again, the
   * publisher republishes with `republish`. Same streamId. With `stream.live` true (a drain's
   * make-before-break migration) the old OTM keeps forwarding for a few seconds: subscribers open
   * the new subscription first and leave the old one once the new one has media, and a publisher
   * that was sent `streamMigrating` keeps the connection it opened to the new node.
   */
  | { type: 'streamMoved'; stream: StreamInfo }
  /**
   * To the publisher only: its stream moves off a draining node, make-before-break. Publish the
   * same tracks to `grant` (a second WHIP connection, same streamId) and keep the current
   * connection until `streamMigrated`. When the publisher has not reached the new node within the
   * controller's migration timeout (an older client ignores this message), the stream moves as
   * after a node failure: `streamMoved` with live false.
   */
  | { type: 'streamMigrating'; streamId: string; grant: MediaGrant }
  /** To the publisher only: the old OTM of a migrated stream closes now; close the old connection. */
  | { type: 'streamMigrated'; streamId: string }
  | { type: 'chat'; message: ChatMessage }
  | { type: 'roomClosed'; reason: string }
  /** To the target of `muteParticipant` only: `by` is the moderator's participantId. */
  | { type: 'muteRequested'; by: string; audio: boolean; video: boolean }
  /** To the target of `removeParticipant` only, just before its `participantLeft` goes to the others. */
  | { type: 'removed'; by: string };

/**
 * Why a stream ended. Always sent by the controller (optional in the type only for older senders):
 * - `unpublished`: its publisher ended it (`unpublish`, or a DELETE of the WHIP resource);
 * - `publisher-left`: its publisher left the room, or was away longer than the rejoin grace period;
 * - `publisher-lost`: the publisher's media stopped and did not come back within the grace period;
 *   for a WHIP-only publisher (OBS), at once, also when its OTM's node died, and when it never
 *   connected before its token expired;
 * - `otm-lost`: its OTM's node or worker died and no other node could take the stream.
 */
export type StreamRemovedReason = 'unpublished' | 'publisher-left' | 'publisher-lost' | 'otm-lost';

export const SIGNALLING_PATH = '/ws';
/** How long a participant whose socket dropped stays in the room waiting for a rejoin. */
export const DEFAULT_REJOIN_GRACE_MS = 15_000;
