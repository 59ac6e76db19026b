import type { NodeOtmList } from '../cluster/OtmListing.ts';

/** The reason a node gives when the controller itself closed the OTM (NodeHttpServer). */
export const CLOSED_BY_CONTROLLER = 'closed by controller';

/** What a node needs to host a new OTM. */
export interface CreateOtmRequest {
  streamId: string;
  room: string;
  publisherId: string;
}

/**
 * The controller's remote control of OTMs on nodes (the paper's "OTM management"). Implemented over
 * HTTP by HttpNodeCommander; tests use a fake.
 */
export interface NodeCommander {
  /** Rejects when the node cannot take the OTM (full, draining, unreachable). */
  createOtm(nodeUrl: string, request: CreateOtmRequest): Promise<void>;
  /** Resolves false when the node no longer has the OTM (already gone is fine when closing). */
  closeOtm(nodeUrl: string, streamId: string): Promise<boolean>;
  /** The OTMs the node hosts now; rejects when the node cannot be asked. */
  listOtms(nodeUrl: string): Promise<NodeOtmList>;
  /**
   * Drains the node (`drain` given: it takes no new OTM and reports the drain in every heartbeat,
   * so that every controller moves its OTMs away) or takes it back (`undefined`).
   */
  setDrain(nodeUrl: string, drain: { reason: string; force: boolean } | undefined): Promise<void>;
}
