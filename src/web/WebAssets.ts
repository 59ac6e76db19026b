/**
 * Static files the controller serves. The meeting page and the browser SDK bundle are being built
 * (issue #2); until they land the controller serves a short notice at `/`.
 */
export interface WebAsset {
  contentType: string;
  body: Buffer;
  cacheControl: string;
}

export interface WebAssets {
  get(pathname: string): WebAsset | undefined;
}

const NOTICE = Buffer.from(
  '<!doctype html><meta charset="utf-8"><title>dotm</title><p>dotm is running. The meeting page is not built yet; publish with any WHIP client through <code>POST /api/v1/publish</code> (see the README).</p>',
);

export async function buildWebAssets(): Promise<WebAssets> {
  return {
    get: (pathname) =>
      pathname === '/'
        ? { contentType: 'text/html; charset=utf-8', body: NOTICE, cacheControl: 'no-cache' }
        : undefined,
  };
}
