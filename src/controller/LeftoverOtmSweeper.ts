import type { ClusterState } from '../cluster/ClusterState.ts';
import type { NodeReport } from '../cluster/NodeReport.ts';
import type { OtmListing } from '../cluster/OtmListing.ts';
import type { Logger } from '../log/Logger.ts';
import type { NodeCommander } from './NodeCommander.ts';

/**
 * Closes the OTMs a room leaves behind when it ends. The home closes the streams it knows of, but a
 * node may hold others for the room: one placed by an earlier home after its last snapshot, or at
 * the hand-over of a controller shutting down, or one whose close failed on a busy node. Nobody
 * publishes to a room that is gone, so without this they would stay on their nodes for good.
 *
 * Only OTMs created before the room ended are closed: a new room of the same name may already be
 * starting (node clocks are assumed to be within NTP's few ms of the controller's).
 */
export class LeftoverOtmSweeper {
  readonly #clusterState: ClusterState;
  readonly #commander: NodeCommander;
  readonly #log: Logger;

  constructor(clusterState: ClusterState, commander: NodeCommander, log: Logger) {
    this.#clusterState = clusterState;
    this.#commander = commander;
    this.#log = log;
  }

  /**
   * Resolves with the stream ids closed; never rejects (a node that cannot be asked is skipped).
   * `closing` names OTMs whose close the home has in flight: they are not left behind.
   */
  async sweep(
    room: string,
    endedAt: number,
    closing: (nodeUrl: string, streamId: string) => boolean = () => false,
  ): Promise<string[]> {
    const closed: string[] = [];
    let nodes: NodeReport[];
    try {
      nodes = await this.#clusterState.listNodes();
    } catch (error) {
      this.#log.warn('could not list the nodes to close what an ended room left', { room, error });
      return closed;
    }
    // Each node's listing is acted on as soon as it answers, while the home's closes in flight are
    // still marked as such (RoomService.test: two leaves at once); RoomService.#reconcile, which needs
    // every listing before it decides, keeps its own loop.
    await Promise.all(
      nodes.map(async (node) => {
        let otms: OtmListing[];
        try {
          otms = (await this.#commander.listOtms(node.url)).otms;
        } catch {
          // Unreachable: the NodeWatcher deals with it, and a node that restarts holds nothing.
          return;
        }
        for (const otm of otms) {
          if (otm.room !== room || otm.createdAt > endedAt || closing(node.url, otm.streamId)) continue;
          const existed = await this.#commander.closeOtm(node.url, otm.streamId).catch(() => false);
          if (!existed) continue;
          closed.push(otm.streamId);
          this.#log.warn('closed an OTM an ended room left behind', {
            room,
            nodeId: node.nodeId,
            streamId: otm.streamId,
          });
        }
      }),
    );
    return closed;
  }
}
