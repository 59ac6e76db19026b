/**
 * The demo meeting page and the browser SDK as the controller serves them: bundled once at startup
 * with esbuild, in memory, and looked up by path.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { build, stop as stopEsbuild } from 'esbuild';

export interface WebAsset {
  contentType: string;
  body: Buffer;
  cacheControl: string;
  /** Strong validator for conditional requests, should the HTTP server want them. */
  etag: string;
}

export interface WebAssets {
  get(pathname: string): WebAsset | undefined;
  /** The fixed paths (the page also answers any `/r/<room>`). */
  readonly paths: readonly string[];
}

export interface WebAssetsOptions {
  /** Inline source maps, unminified, nothing cached. Defaults to NODE_ENV !== 'production'. */
  dev?: boolean;
}

const WEB_DIR = import.meta.dirname;
const MAIN_ENTRY = join(WEB_DIR, 'main.ts');
const SDK_ENTRY = join(WEB_DIR, '..', 'client', 'index.ts');
const DASHBOARD_DIR = join(WEB_DIR, 'dashboard');
const DASHBOARD_ENTRY = join(DASHBOARD_DIR, 'main.ts');

const HTML = 'text/html; charset=utf-8';
const JAVASCRIPT = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const NO_CACHE = 'no-cache';
/** Safe because index.html (never cached) names them with a content hash. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Other apps load the SDK by a fixed URL: let a new release reach them within minutes. */
const SHORT = 'public, max-age=300';

/** Bundles in flight in this process: esbuild's service is stopped when the last one ends. */
let bundling = 0;

/**
 * esbuild keeps a child process (~25 MiB resident) for later builds; the controller builds once at
 * startup, so it is stopped once no build is in flight (another build starts a new one).
 */
async function bundleOnce<T>(run: () => Promise<T>): Promise<T> {
  bundling++;
  try {
    return await run();
  } finally {
    if (--bundling === 0) await stopEsbuild();
  }
}

export async function buildWebAssets(options: WebAssetsOptions = {}): Promise<WebAssets> {
  const dev = options.dev ?? process.env.NODE_ENV !== 'production';
  const [bundles, html, baseCssText, css, dashboardHtml, dashboardCssText] = await Promise.all([
    bundleOnce(() =>
      build({
        entryPoints: { main: MAIN_ENTRY, 'dotm-client': SDK_ENTRY, dashboard: DASHBOARD_ENTRY },
        bundle: true,
        write: false,
        outdir: 'assets',
        format: 'esm',
        target: 'es2022',
        platform: 'browser',
        sourcemap: dev ? 'inline' : false,
        minify: !dev,
        legalComments: 'none',
        charset: 'utf8',
        logLevel: 'silent',
      }),
    ),
    readFile(join(WEB_DIR, 'index.html'), 'utf8'),
    readFile(join(WEB_DIR, 'base.css')),
    readFile(join(WEB_DIR, 'meeting.css')),
    readFile(join(DASHBOARD_DIR, 'dashboard.html'), 'utf8'),
    readFile(join(DASHBOARD_DIR, 'dashboard.css')),
  ]);
  const output = (name: string): Buffer => {
    const file = bundles.outputFiles.find((candidate) => basename(candidate.path) === name);
    if (!file) throw new Error(`esbuild produced no ${name}`);
    return Buffer.from(file.contents);
  };

  const baseCss = asset(CSS, baseCssText, dev ? NO_CACHE : IMMUTABLE);
  const withBaseCss = (page: string) =>
    page.replace('"/assets/base.css"', `"/assets/base.css?v=${baseCss.etag.slice(1, 13)}"`);
  const mainJs = asset(JAVASCRIPT, output('main.js'), dev ? NO_CACHE : IMMUTABLE);
  const meetingCss = asset(CSS, css, dev ? NO_CACHE : IMMUTABLE);
  const sdk = asset(JAVASCRIPT, output('dotm-client.js'), dev ? NO_CACHE : SHORT);
  const page = asset(
    HTML,
    Buffer.from(
      withBaseCss(html)
        .replace('"/assets/main.js"', `"/assets/main.js?v=${mainJs.etag.slice(1, 13)}"`)
        .replace('"/assets/meeting.css"', `"/assets/meeting.css?v=${meetingCss.etag.slice(1, 13)}"`),
    ),
    NO_CACHE,
  );

  const dashboardJs = asset(JAVASCRIPT, output('dashboard.js'), dev ? NO_CACHE : IMMUTABLE);
  const dashboardCss = asset(CSS, dashboardCssText, dev ? NO_CACHE : IMMUTABLE);
  const dashboardPage = asset(
    HTML,
    Buffer.from(
      withBaseCss(dashboardHtml)
        .replace('"/assets/dashboard.js"', `"/assets/dashboard.js?v=${dashboardJs.etag.slice(1, 13)}"`)
        .replace('"/assets/dashboard.css"', `"/assets/dashboard.css?v=${dashboardCss.etag.slice(1, 13)}"`),
    ),
    NO_CACHE,
  );

  const byPath = new Map<string, WebAsset>([
    ['/', page],
    ['/index.html', page],
    ['/assets/main.js', mainJs],
    ['/assets/base.css', baseCss],
    ['/assets/meeting.css', meetingCss],
    ['/sdk/dotm-client.js', sdk],
    ['/dashboard', dashboardPage],
    ['/dashboard/', dashboardPage],
    ['/assets/dashboard.js', dashboardJs],
    ['/assets/dashboard.css', dashboardCss],
  ]);
  return {
    paths: [...byPath.keys()],
    get(pathname: string): WebAsset | undefined {
      const path = pathname.split(/[?#]/, 1)[0];
      // Any room URL is the page itself; it reads the room from location.pathname.
      if (path.startsWith('/r/') && path.length > 3) return page;
      return byPath.get(path);
    },
  };
}

function asset(contentType: string, body: Buffer, cacheControl: string): WebAsset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { contentType, body, cacheControl, etag };
}
