import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Tenant } from '../db/TenantRepository.ts';
import { apiKeyGuard, type IsAuthorized } from '../http/apiKeyGuard.ts';
import { HttpError } from '../http/HttpError.ts';
import { readJson, readOptionalJson, sendJson } from '../http/httpIo.ts';
import { type RouteHandler, Router } from '../http/Router.ts';
import type { Logger } from '../log/Logger.ts';
import type { TenantAdmin } from './TenantAdmin.ts';
import { TenantAdminError } from './TenantAdminError.ts';

export const TENANTS_PATH = '/api/v1/tenants';

export interface TenantAdminApiOptions {
  admin: TenantAdmin;
  /** The controller's API-key check. May throw an HttpError (e.g. no Authorization header). */
  isAuthorized: IsAuthorized;
  log: Logger;
  /** Default 64 KiB. */
  maxBodyBytes?: number;
}

/**
 * Tenants over JSON, for operators and their tooling, under the controller's API keys:
 *
 *   GET    /api/v1/tenants                  { tenants: [Tenant…] }
 *   POST   /api/v1/tenants                  { name, region?, hostnames?, secrets?, settings? } → 201 Tenant
 *   GET    /api/v1/tenants/:idOrName        Tenant
 *   PATCH  /api/v1/tenants/:idOrName        { name?, region?, hostnames?, addHostnames?, removeHostnames?,
 *                                             secrets?, addSecrets?, removeSecrets?, settings? (merge patch) }
 *   DELETE /api/v1/tenants/:idOrName        204
 *   POST   /api/v1/tenants/:idOrName/secrets  { secret?, primary? = true } → 201 { secret, tenant }
 *
 * Errors are the rest of /api/v1's: `{ "error": { "code", "message" } }` with 400, 401, 404, 409, 413, 415.
 */
export class TenantAdminApi {
  /** Mount this on the controller: resolves true when it answered the request. */
  readonly handler = (req: IncomingMessage, res: ServerResponse): Promise<boolean> => this.#handle(req, res);
  readonly #o: TenantAdminApiOptions;
  readonly #router: Router;

  constructor(options: TenantAdminApiOptions) {
    this.#o = options;
    const admin = options.admin;
    const withApiKey = apiKeyGuard(options.isAuthorized);
    const guarded = (handler: RouteHandler): RouteHandler =>
      withApiKey(async (req, res, p) => {
        try {
          await handler(req, res, p);
        } catch (error) {
          if (error instanceof TenantAdminError) throw asHttpError(error);
          throw error;
        }
      });
    this.#router = new Router({
      onUnexpectedError: (error, req) =>
        options.log.error('unexpected error in the tenant admin API', {
          error,
          method: req.method,
          url: req.url,
        }),
    })
      .add(
        'GET',
        TENANTS_PATH,
        guarded(async (_req, res) => sendJson(res, 200, { tenants: (await admin.list()).map(tenantView) })),
      )
      .add(
        'POST',
        TENANTS_PATH,
        guarded(async (req, res) => {
          const tenant = await admin.create(await this.#body(req));
          sendJson(res, 201, tenantView(tenant), { Location: `${TENANTS_PATH}/${tenant.id}` });
        }),
      )
      .add(
        'GET',
        `${TENANTS_PATH}/:tenant`,
        guarded(async (_req, res, p) => sendJson(res, 200, tenantView(await admin.get(p.tenant!)))),
      )
      .add(
        'PATCH',
        `${TENANTS_PATH}/:tenant`,
        guarded(async (req, res, p) =>
          sendJson(res, 200, tenantView(await admin.update(p.tenant!, await this.#body(req)))),
        ),
      )
      .add(
        'DELETE',
        `${TENANTS_PATH}/:tenant`,
        guarded(async (_req, res, p) => {
          await admin.remove(p.tenant!);
          res.writeHead(204);
          res.end();
        }),
      )
      .add(
        'POST',
        `${TENANTS_PATH}/:tenant/secrets`,
        guarded(async (req, res, p) => {
          const body = await readOptionalJson(req, this.#o.maxBodyBytes ?? 65_536);
          const unknown = Object.keys(body).find((key) => key !== 'secret' && key !== 'primary');
          if (unknown !== undefined)
            throw new HttpError(
              400,
              'bad-request',
              `unknown field "${unknown.slice(0, 60)}"; allowed: "secret", "primary"`,
            );
          const { tenant, secret } = await admin.addSecret(p.tenant!, body);
          sendJson(res, 201, { secret, tenant: tenantView(tenant) });
        }),
      );
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '').split('?', 1)[0]!;
    if (path !== TENANTS_PATH && !path.startsWith(`${TENANTS_PATH}/`)) return false;
    return this.#router.handle(req, res);
  }

  #body(req: IncomingMessage): Promise<Record<string, unknown>> {
    return readJson(req, this.#o.maxBodyBytes ?? 65_536);
  }
}

/** The JSON form of a tenant: everything, secrets included (this API is for those who hold the keys). */
export function tenantView(tenant: Tenant): Record<string, unknown> {
  return {
    id: tenant.id,
    name: tenant.name,
    region: tenant.region,
    hostnames: tenant.hostnames,
    secrets: tenant.secrets,
    settings: tenant.settings,
    isDefault: tenant.isDefault,
    createdAt: tenant.createdAt,
    updatedAt: tenant.updatedAt,
  };
}

function asHttpError(error: TenantAdminError): HttpError {
  switch (error.kind) {
    case 'invalid':
      return new HttpError(400, 'bad-request', error.message);
    case 'not-found':
      return new HttpError(404, 'not-found', error.message);
    case 'conflict':
      return new HttpError(409, 'conflict', error.message);
  }
}
