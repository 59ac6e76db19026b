/**
 * Fire-and-forget messages between the processes of a cluster (nodes → controllers events,
 * controller → controllers room events). At-most-once: state that must survive a lost message lives
 * in ClusterState, and every consumer tolerates duplicates.
 */
export interface ClusterBus {
  publish(channel: string, message: unknown): Promise<void>;
  /** Resolves once the subscription is active; the returned function unsubscribes. */
  subscribe(channel: string, handler: (message: unknown) => void): Promise<() => void>;
  close(): Promise<void>;
}

/** Channel on which nodes announce what happens to their OTMs (see NodeEvent). */
export const NODE_EVENTS_CHANNEL = 'dotm:node-events';
