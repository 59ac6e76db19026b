import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../http/HttpError.ts';
import { readOptionalJson, sendJson } from '../http/httpIo.ts';
import { Router } from '../http/Router.ts';
import type { Logger } from '../log/Logger.ts';
import type { NodeDrainer } from './NodeDrainer.ts';

/**
 * The media nodes' admin API (API key, as the other admin APIs):
 *
 * | call                              | answer                                                        |
 * | --------------------------------- | ------------------------------------------------------------- |
 * | `GET /api/v1/nodes`               | `{nodes: NodeView[]}`: each live node's last report + `state` (active, draining, drained) and `protocol` |
 * | `POST /api/v1/nodes/:id/drain`    | body `{reason?, force?}` (optional): DrainAnswer               |
 * | `POST /api/v1/nodes/:id/undrain`  | `{node: NodeView}`                                             |
 */
export function createNodeAdminApi(options: {
  drainer: NodeDrainer;
  authorize: (req: IncomingMessage) => true;
  maxBodyBytes: number;
  log: Logger;
}): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { drainer, authorize } = options;
  const router = new Router({
    onUnexpectedError: (error, req) =>
      options.log.error('node admin request failed', { error, url: req.url }),
  });
  router
    .add('GET', '/api/v1/nodes', async (req, res) => {
      authorize(req);
      sendJson(res, 200, { nodes: await drainer.list() });
    })
    .add('POST', '/api/v1/nodes/:nodeId/drain', async (req, res, p) => {
      authorize(req);
      const body = await readOptionalJson(req, options.maxBodyBytes);
      if (body.reason !== undefined && (typeof body.reason !== 'string' || body.reason.length > 200))
        throw new HttpError(400, 'bad-request', '"reason" is a string of at most 200 characters');
      if (body.force !== undefined && typeof body.force !== 'boolean')
        throw new HttpError(400, 'bad-request', '"force" is true or false');
      sendJson(res, 200, await drainer.drain(p.nodeId!, { reason: body.reason, force: body.force }));
    })
    .add('POST', '/api/v1/nodes/:nodeId/undrain', async (req, res, p) => {
      authorize(req);
      sendJson(res, 200, { node: await drainer.undrain(p.nodeId!) });
    });
  return (req, res) => router.handle(req, res);
}
