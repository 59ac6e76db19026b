/** Published by a node on NODE_EVENTS_CHANNEL. */
export type NodeEvent =
  /** The publisher finished WHIP and its media transport is up: subscribers can come. */
  | { type: 'publisherConnected'; nodeId: string; streamId: string; hasAudio: boolean; hasVideo: boolean }
  /** The publisher's transport failed or was deleted; the OTM stays until the controller closes it. */
  | { type: 'publisherDisconnected'; nodeId: string; streamId: string; reason: string }
  | { type: 'subscriberConnected'; nodeId: string; streamId: string; participantId: string }
  | {
      type: 'subscriberDisconnected';
      nodeId: string;
      streamId: string;
      participantId: string;
      reason: string;
    }
  /** The OTM is gone from the node (closed on command, or its worker died). */
  | { type: 'otmClosed'; nodeId: string; streamId: string; reason: string };
