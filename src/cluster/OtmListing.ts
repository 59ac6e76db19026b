/**
 * A node's answer to `GET /internal/otms`: the OTMs it hosts right now. A controller that adopts a
 * room compares it with the room's snapshot: streams whose OTM is gone are placed again, OTMs of
 * the room the snapshot does not know are closed, and the publisher's state is taken as the node
 * sees it (the dead controller may have missed the event).
 */
export interface NodeOtmList {
  nodeId: string;
  /** The node process's start time: a stream recorded on an older process of this node is gone. */
  startedAt: number;
  otms: OtmListing[];
}

export interface OtmListing {
  streamId: string;
  room: string;
  publisherId: string;
  /** The publisher's media transport is up (between publisherConnected and publisherDisconnected). */
  publisherConnected: boolean;
  hasAudio: boolean;
  hasVideo: boolean;
  createdAt: number;
}
