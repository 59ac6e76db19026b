import type { NodeOtmList, OtmListing } from '../../../src/cluster/OtmListing.ts';
import type { CreateOtmRequest, NodeCommander } from '../../../src/controller/NodeCommander.ts';

interface HeldCreate {
  nodeUrl: string;
  request: CreateOtmRequest;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The nodes' side of OTM management: remembers which OTMs are open where. Nodes in `refusing`
 * reject creates; with `hold` (`holdCloses`), creates (closes) wait for release() (a slow node, for races).
 */
export class FakeNodeCommander implements NodeCommander {
  /** streamId → node URL of every OTM created and not closed (the latest, while a stream migrates). */
  readonly open = new Map<string, string>();
  /** `${nodeUrl} ${streamId}` of every OTM created and not closed: a migrating stream has two. */
  readonly openOnNodes = new Set<string>();
  readonly created: Array<{ nodeUrl: string } & CreateOtmRequest> = [];
  readonly closed: Array<{ nodeUrl: string; streamId: string }> = [];
  readonly refusing = new Set<string>();
  /** Nodes whose OTM listing fails (unreachable). */
  readonly unlistable = new Set<string>();
  /** streamId → what the node would say about the OTM (room, publisher state) when listed. */
  readonly listings = new Map<string, OtmListing>();
  /** Node URL → its process start time, as listOtms reports it (1, like nodeReport's default). */
  readonly startedAt = new Map<string, number>();
  /** Node URL → its drain, as `setDrain` left it. */
  readonly drains = new Map<string, { reason: string; force: boolean }>();
  hold = false;
  holdCloses = false;
  readonly #held: HeldCreate[] = [];
  readonly #heldCloses: Array<() => void> = [];

  get heldCount(): number {
    return this.#held.length;
  }

  async createOtm(nodeUrl: string, request: CreateOtmRequest): Promise<void> {
    if (this.hold) {
      await new Promise<void>((resolve, reject) => this.#held.push({ nodeUrl, request, resolve, reject }));
    }
    if (this.refusing.has(nodeUrl)) throw new Error(`node ${nodeUrl} refused`);
    this.created.push({ nodeUrl, ...request });
    this.open.set(request.streamId, nodeUrl);
    this.openOnNodes.add(`${nodeUrl} ${request.streamId}`);
    this.listings.set(request.streamId, {
      streamId: request.streamId,
      room: request.room,
      publisherId: request.publisherId,
      publisherConnected: false,
      hasAudio: false,
      hasVideo: false,
      createdAt: Date.now(),
    });
  }

  async closeOtm(nodeUrl: string, streamId: string): Promise<boolean> {
    if (this.holdCloses) await new Promise<void>((resolve) => this.#heldCloses.push(resolve));
    this.closed.push({ nodeUrl, streamId });
    const existed = this.openOnNodes.delete(`${nodeUrl} ${streamId}`);
    if (this.open.get(streamId) !== nodeUrl) return existed;
    this.open.delete(streamId);
    this.listings.delete(streamId);
    return true;
  }

  async listOtms(nodeUrl: string): Promise<NodeOtmList> {
    if (this.unlistable.has(nodeUrl)) throw new Error(`node ${nodeUrl} unreachable`);
    const otms = [...this.openOnNodes]
      .map((key) => key.split(' '))
      .filter(([url]) => url === nodeUrl)
      .flatMap(([, streamId]) => {
        const listing = this.listings.get(streamId!);
        return listing ? [{ ...listing }] : [];
      });
    const nodeId = new URL(nodeUrl).hostname.replace(/\.test$/, '');
    return { nodeId, startedAt: this.startedAt.get(nodeUrl) ?? 1, otms };
  }

  async setDrain(nodeUrl: string, drain: { reason: string; force: boolean } | undefined): Promise<void> {
    if (drain) this.drains.set(nodeUrl, drain);
    else this.drains.delete(nodeUrl);
  }

  /** The node's side of a publisher connecting or going away (what listOtms will report). */
  setPublisherConnected(streamId: string, connected: boolean): void {
    const listing = this.listings.get(streamId);
    if (listing) Object.assign(listing, { publisherConnected: connected, hasAudio: true, hasVideo: true });
  }

  /** An OTM that vanished from its node without anyone being told (its node restarted, say). */
  forget(streamId: string): void {
    const url = this.open.get(streamId);
    if (url) this.openOnNodes.delete(`${url} ${streamId}`);
    this.open.delete(streamId);
    this.listings.delete(streamId);
  }

  /** Lets every held create and close go on. */
  release(): void {
    for (const held of this.#held.splice(0)) held.resolve();
    for (const resolve of this.#heldCloses.splice(0)) resolve();
  }

  /** Node URLs chosen for the OTMs created so far, in order. */
  nodesUsed(): string[] {
    return this.created.map((c) => c.nodeUrl);
  }
}
