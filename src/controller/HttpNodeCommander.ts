import type { NodeOtmList } from '../cluster/OtmListing.ts';
import { type InternalResponse, internalRequest, isSuccess } from '../http/internalRequest.ts';
import type { ClusterAuth } from '../security/ClusterAuth.ts';
import type { CreateOtmRequest, NodeCommander } from './NodeCommander.ts';

const COMMAND_TIMEOUT_MS = 5_000;

export class NodeCommandError extends Error {
  override name = 'NodeCommandError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** NodeCommander over the nodes' internal HTTP API, authenticated with the cluster secret. */
export class HttpNodeCommander implements NodeCommander {
  readonly #auth: ClusterAuth;

  constructor(auth: ClusterAuth) {
    this.#auth = auth;
  }

  async createOtm(nodeUrl: string, body: CreateOtmRequest): Promise<void> {
    await this.#call(nodeUrl, 'POST', '/internal/otms', body);
  }

  async closeOtm(nodeUrl: string, streamId: string): Promise<boolean> {
    try {
      await this.#call(nodeUrl, 'DELETE', `/internal/otms/${encodeURIComponent(streamId)}`);
      return true;
    } catch (error) {
      if (error instanceof NodeCommandError && error.status === 404) return false;
      throw error;
    }
  }

  async listOtms(nodeUrl: string): Promise<NodeOtmList> {
    return (await this.#call(nodeUrl, 'GET', '/internal/otms')) as NodeOtmList;
  }

  async setDrain(nodeUrl: string, drain: { reason: string; force: boolean } | undefined): Promise<void> {
    if (drain) await this.#call(nodeUrl, 'POST', '/internal/drain', drain);
    else await this.#call(nodeUrl, 'POST', '/internal/undrain');
  }

  async #call(nodeUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
    let response: InternalResponse;
    try {
      response = await internalRequest(new URL(path, nodeUrl), {
        method,
        headers: {
          Authorization: this.#auth.header(),
          ...(body ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        timeoutMs: COMMAND_TIMEOUT_MS,
      });
    } catch (error) {
      throw new NodeCommandError(0, `node ${nodeUrl} unreachable: ${(error as Error).message}`);
    }
    const text = response.text;
    if (!isSuccess(response)) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error: { message: string } }).error.message;
      } catch {
        // Not our JSON error shape; keep the raw text.
      }
      throw new NodeCommandError(response.status, `node ${nodeUrl} answered ${response.status}: ${message}`);
    }
    return text ? JSON.parse(text) : undefined;
  }
}
