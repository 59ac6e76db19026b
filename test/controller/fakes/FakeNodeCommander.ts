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
  /** streamId → node URL of every OTM created and not closed. */
  readonly open = new Map<string, string>();
  readonly created: Array<{ nodeUrl: string } & CreateOtmRequest> = [];
  readonly closed: Array<{ nodeUrl: string; streamId: string }> = [];
  readonly refusing = new Set<string>();
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
  }

  async closeOtm(nodeUrl: string, streamId: string): Promise<boolean> {
    if (this.holdCloses) await new Promise<void>((resolve) => this.#heldCloses.push(resolve));
    this.closed.push({ nodeUrl, streamId });
    if (this.open.get(streamId) !== nodeUrl) return false;
    this.open.delete(streamId);
    return true;
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
