import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './HttpError.ts';
import { sendError } from './httpIo.ts';

export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
) => Promise<void> | void;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: RouteHandler;
}

export interface RouterOptions {
  /** Called for errors that are not HttpErrors (bugs), so they are logged once with context. */
  onUnexpectedError?: (error: unknown, req: IncomingMessage) => void;
  /** Headers added to every response (e.g. CORS). */
  commonHeaders?: Record<string, string>;
}

/** Method + path-pattern routing (`/whip/:streamId/:resourceId`), 404/405 with JSON bodies. */
export class Router {
  readonly #routes: Route[] = [];
  readonly #options: RouterOptions;

  constructor(options: RouterOptions = {}) {
    this.#options = options;
  }

  add(method: string, path: string, handler: RouteHandler): this {
    const names: string[] = [];
    const source = path
      .split('/')
      .map((part) => {
        if (part.startsWith(':')) {
          names.push(part.slice(1));
          return '([^/]+)';
        }
        if (part === '*') {
          names.push('rest');
          return '(.*)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.#routes.push({ method, pattern: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  /** Returns false when no route matched the path (so the caller may try something else, e.g. static files). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    for (const [name, value] of Object.entries(this.#options.commonHeaders ?? {})) res.setHeader(name, value);
    const pathname = safePathname(req.url ?? '/');
    let pathMatched = false;
    for (const route of this.#routes) {
      const match = route.pattern.exec(pathname);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      try {
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => {
          params[name] = decodeParam(match[i + 1] ?? '');
        });
        await route.handler(req, res, params);
      } catch (error) {
        if (!(error instanceof HttpError)) this.#options.onUnexpectedError?.(error, req);
        sendError(res, error);
      }
      return true;
    }
    if (pathMatched) {
      sendError(res, new HttpError(405, 'method-not-allowed', `${req.method} is not allowed on ${pathname}`));
      return true;
    }
    return false;
  }
}

export function safePathname(url: string): string {
  try {
    return new URL(url, 'http://x').pathname;
  } catch {
    return '/';
  }
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'bad-request', `malformed path segment "${raw.slice(0, 50)}"`);
  }
}
