import type { IncomingMessage } from 'node:http';
import { HttpError } from './HttpError.ts';
import type { RouteHandler } from './Router.ts';

/** The controller's API-key check; it may also throw an HttpError itself (ApiKeys.authorize does). */
export type IsAuthorized = (req: IncomingMessage) => boolean | Promise<boolean>;

/** Wraps the admin APIs' route handlers: 401 (with `WWW-Authenticate: Bearer`) unless the key is good. */
export function apiKeyGuard(isAuthorized: IsAuthorized): (handler: RouteHandler) => RouteHandler {
  return (handler) => async (req, res, params) => {
    await requireApiKey(isAuthorized, req);
    await handler(req, res, params);
  };
}

export async function requireApiKey(isAuthorized: IsAuthorized, req: IncomingMessage): Promise<void> {
  if (!(await isAuthorized(req)))
    throw new HttpError(401, 'unauthorized', 'API key missing or not valid', {
      'WWW-Authenticate': 'Bearer',
    });
}
