/** Where an OTM runs: enough to close it, grant access to it and check it against its node. */
export interface OtmLocation {
  nodeId: string;
  nodeUrl: string;
  nodeStartedAt: number;
}

/**
 * A stream moving make-before-break off a draining node (RoomService.migrateOff):
 * - `placing`: a new OTM is being created on another node;
 * - `connecting`: the publisher was sent `streamMigrating` and publishes a second connection to
 *   `to` while the old one keeps flowing; the stream record still points at `from`;
 * - `handing-over`: the new OTM has the publisher; the record points at `to`, the room was sent
 *   `streamMoved` (live) and subscribers switch; `from` closes once they left it (`waiting` empty)
 *   or the hand-over time is up.
 */
export interface StreamMigration {
  phase: 'placing' | 'connecting' | 'handing-over';
  from: OtmLocation;
  to: OtmLocation | undefined;
  /** Participants expected to leave the old OTM (its subscribers when the hand-over began). */
  waiting: Set<string>;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
}
