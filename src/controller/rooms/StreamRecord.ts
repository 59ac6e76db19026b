import type { StreamInfo, StreamKind } from '../../protocol/roomSignalling.ts';
import type { StreamMigration } from './StreamMigration.ts';

/** The controller's view of one published stream and the OTM that carries it. */
export class StreamRecord {
  readonly streamId: string;
  readonly participantId: string;
  readonly kind: StreamKind;
  hasAudio: boolean;
  hasVideo: boolean;
  audioMuted = false;
  videoMuted = false;
  nodeId: string;
  nodeUrl: string;
  /** The `startedAt` of the node process that hosts the OTM: a node restarted since has lost it. */
  nodeStartedAt: number;
  /**
   * A WHIP-only publisher must connect before this time (its token's expiry) or the stream goes;
   * undefined for publishers with a socket, who are given up with their participant.
   */
  startBy: number | undefined;
  /** The publisher's media reached the OTM; until then nobody is told to subscribe. */
  live = false;
  /** Its OTM is being placed again: a second loss report for the same OTM waits for nothing. */
  relocating = false;
  /**
   * Who subscribes to the OTM now, as its node reported (participantIds, or `viewer-…` for WHEP-only
   * viewers): a migration waits for them to leave the old OTM. Not in snapshots: an adopted
   * migration waits its hand-over time instead.
   */
  subscribers = new Set<string>();
  /** False for a stream taken over from a snapshot: who subscribed before is not known here. */
  subscribersKnown = true;
  /** Set while the stream moves off a draining node, make-before-break (see StreamMigration). */
  migration: StreamMigration | undefined;
  /** Set while the publisher is away (network change); the stream goes when it expires. */
  publisherLostTimer: NodeJS.Timeout | undefined;

  constructor(init: {
    streamId: string;
    participantId: string;
    kind: StreamKind;
    hasAudio: boolean;
    hasVideo: boolean;
    nodeId: string;
    nodeUrl: string;
    nodeStartedAt: number;
    startBy?: number;
  }) {
    this.streamId = init.streamId;
    this.participantId = init.participantId;
    this.kind = init.kind;
    this.hasAudio = init.hasAudio;
    this.hasVideo = init.hasVideo;
    this.nodeId = init.nodeId;
    this.nodeUrl = init.nodeUrl;
    this.nodeStartedAt = init.nodeStartedAt;
    this.startBy = init.startBy;
  }

  info(): StreamInfo {
    return {
      streamId: this.streamId,
      participantId: this.participantId,
      kind: this.kind,
      hasAudio: this.hasAudio,
      hasVideo: this.hasVideo,
      audioMuted: this.audioMuted,
      videoMuted: this.videoMuted,
      nodeId: this.nodeId,
      live: this.live,
    };
  }
}
