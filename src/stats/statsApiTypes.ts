/**
 * What `/api/v1/stats/...` answers: the contract between StatsApi and the dashboard page. Times are
 * milliseconds since the epoch; every interval is half-open, [from, to).
 *
 * "Meetings" are portal meetings (meetings table) plus, when no tenant filter is given, rooms that
 * were not portal meetings (room_sessions). A meeting counts for an interval when it was running
 * during some part of it (started before `to`, not ended by `from`).
 */

export interface ReportScope {
  from: number;
  to: number;
  /** Tenant ids; empty = the whole network, including rooms that are not portal meetings. */
  tenantIds: string[];
}

export interface MeetingSummary {
  from: number;
  to: number;
  tenantIds: string[];
  meetings: number;
  /** Meetings in the interval that have ended (only those have a duration). */
  endedMeetings: number;
  /** Mean of (end − start) over the ended ones, whole meetings (not clipped to the interval); null when none ended. */
  averageDurationMs: number | null;
  /** Mean of each meeting's most simultaneous participants; null when there were no meetings. */
  averagePeakUsers: number | null;
  /** Most participants present at the same instant within the interval, over all meetings in scope. */
  maxSimultaneousUsers: number;
}

export interface RoomSizeBucket {
  /** e.g. "3–5", "51+". */
  label: string;
  minUsers: number;
  /** null: no upper bound. */
  maxUsers: number | null;
  meetings: number;
}

export interface RoomSizeDistribution {
  from: number;
  to: number;
  tenantIds: string[];
  buckets: RoomSizeBucket[];
}

export interface MeetingsPerNode {
  from: number;
  to: number;
  tenantIds: string[];
  /** A meeting whose streams used two nodes counts once for each. */
  nodes: { nodeId: string; meetings: number }[];
  /** Meetings in scope no node was seen carrying (no stream, or not sampled while they ran). */
  withoutKnownNode: number;
}

/** Slots start at `from` and are `bucketMs` long; the last one ends at `to`. */
export interface TimeBuckets {
  from: number;
  to: number;
  bucketMs: number;
  /** Each slot's start. */
  buckets: number[];
}

export interface UsersOverTime extends TimeBuckets {
  tenantIds: string[];
  /** Most simultaneous participants within each slot, over all meetings in scope. */
  total: number[];
  /** The same per tenant; tenantId null = rooms that are not portal meetings. */
  series: { tenantId: string | null; tenantName: string; peakUsers: number[] }[];
}

/** Per slot, averages of the samples taken in it (null: no sample). */
export interface NodeLoadSeries {
  nodeId: string;
  region: string;
  /** 0..1 */
  cpu: (number | null)[];
  cpuMax: (number | null)[];
  memoryBytes: (number | null)[];
  mbpsIn: (number | null)[];
  mbpsOut: (number | null)[];
  otms: (number | null)[];
  subscribers: (number | null)[];
}

export interface NodeLoadOverTime extends TimeBuckets {
  /** Nodes are shared by all tenants: this report has no tenant filter. */
  nodes: NodeLoadSeries[];
}

export interface LiveNode {
  nodeId: string;
  region: string;
  draining: boolean;
  reportedAt: number;
  workers: number;
  cpu: number;
  memoryBytes: number;
  mbpsIn: number;
  mbpsOut: number;
  packetsInPerSecond: number;
  packetsOutPerSecond: number;
  otms: number;
  subscribers: number;
}

export interface LiveRoomView {
  /** meetings.id or room_sessions.id. */
  sessionId: string;
  room: string;
  /** The portal meeting's name; the room name for other rooms. */
  name: string;
  tenantId: string | null;
  tenantName: string;
  startedAt: number;
  users: number;
  /** Nodes seen carrying its streams lately. */
  nodeIds: string[];
}

export interface LiveView {
  now: number;
  tenantIds: string[];
  nodes: LiveNode[];
  /** Biggest first. */
  rooms: LiveRoomView[];
  users: number;
}

export interface TenantListing {
  tenants: { id: string; name: string }[];
}

/** Everything the dashboard's history section shows, in one call. */
export interface FullReport {
  summary: MeetingSummary;
  roomSizes: RoomSizeDistribution;
  meetingsPerNode: MeetingsPerNode;
  users: UsersOverTime;
  nodeLoad: NodeLoadOverTime;
}
