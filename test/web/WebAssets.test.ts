import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { buildWebAssets, type WebAssets } from '../../src/web/WebAssets.ts';

let dev: WebAssets;
let production: WebAssets;
let buildMs = 0;

before(async () => {
  const started = performance.now();
  dev = await buildWebAssets({ dev: true });
  buildMs = performance.now() - started;
  production = await buildWebAssets({ dev: false });
});

test('builds in well under a second', () => {
  assert.ok(buildMs < 1_000, `took ${Math.round(buildMs)} ms`);
});

test('serves the page at / and at any room URL', () => {
  for (const path of ['/', '/index.html', '/r/standup', '/r/weekly%20sync', '/r/x/']) {
    const page = dev.get(path);
    assert.ok(page, path);
    assert.equal(page.contentType, 'text/html; charset=utf-8');
    assert.equal(page.cacheControl, 'no-cache');
  }
  assert.equal(dev.get('/r/standup'), dev.get('/'));
  const html = dev.get('/')?.body.toString('utf8') ?? '';
  for (const testId of [
    'join-room',
    'join-name',
    'join-submit',
    'toggle-mic',
    'toggle-camera',
    'share-screen',
    'leave',
    'participant-list',
    'chat-input',
    'chat-send',
    'chat-messages',
    'connection-state',
    'left-title',
    'left-redirect',
  ]) {
    assert.match(html, new RegExp(`data-testid="${testId}"`), testId);
  }
  assert.match(html, /<script type="module" src="\/assets\/main\.js\?v=[\w-]+"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="\/assets\/meeting\.css\?v=[\w-]+" \/>/);
});

test('serves the bundles and the stylesheet with their content types', () => {
  const main = dev.get('/assets/main.js');
  const css = dev.get('/assets/meeting.css');
  const sdk = dev.get('/sdk/dotm-client.js');
  assert.equal(main?.contentType, 'text/javascript; charset=utf-8');
  assert.equal(sdk?.contentType, 'text/javascript; charset=utf-8');
  assert.equal(css?.contentType, 'text/css; charset=utf-8');
  assert.match(css?.body.toString('utf8') ?? '', /\.video-grid/);
  assert.ok(main && main.body.length > 1_000);
  assert.match(main?.body.toString('utf8') ?? '', /sourceMappingURL=data:application\/json;base64,/);
  assert.match(
    dev.get('/assets/main.js?v=abc')?.contentType ?? '',
    /javascript/,
    'a query string is ignored',
  );
  assert.equal(dev.get('/nope'), undefined);
  assert.equal(dev.get('/r/'), undefined);
  assert.equal(dev.get('/assets/other.js'), undefined);
});

test('production assets are minified, map-free and cacheable by content hash', () => {
  const main = production.get('/assets/main.js');
  assert.ok(main);
  assert.doesNotMatch(main.body.toString('utf8'), /sourceMappingURL/);
  assert.equal(main.cacheControl, 'public, max-age=31536000, immutable');
  assert.equal(production.get('/')?.cacheControl, 'no-cache');
  assert.equal(production.get('/sdk/dotm-client.js')?.cacheControl, 'public, max-age=300');
  const html = production.get('/')?.body.toString('utf8') ?? '';
  assert.ok(html.includes(`/assets/main.js?v=${main.etag.slice(1, 13)}`));
  assert.match(main.etag, /^"[\w-]+"$/);
});

test('the bundles carry no Node-only imports', () => {
  for (const path of ['/assets/main.js', '/sdk/dotm-client.js']) {
    for (const assets of [dev, production]) {
      const code = assets.get(path)?.body.toString('utf8') ?? '';
      assert.doesNotMatch(code, /\bfrom\s*["'](node:|fs|path|crypto|os|events|buffer)["']/, path);
      assert.doesNotMatch(code, /\bimport\s*\(\s*["']node:/, path);
      assert.doesNotMatch(code, /\brequire\s*\(\s*["']/, path);
      assert.doesNotMatch(code, /\bprocess\.(env|stderr|stdout)\b/, path);
      assert.doesNotMatch(code, /\bBuffer\.from\b/, path);
    }
  }
});

test('the SDK bundle is a standalone ES module exporting DotmClient', async () => {
  const sdk = dev.get('/sdk/dotm-client.js')?.body.toString('base64') ?? '';
  // Importing it where no browser globals exist also proves it touches none at load time.
  const module = (await import(`data:text/javascript;base64,${sdk}`)) as Record<string, unknown>;
  for (const name of ['DotmClient', 'DotmError', 'SignallingChannel', 'WhipSession', 'WhepSession']) {
    assert.equal(typeof module[name], 'function', name);
  }
  const DotmClient = module.DotmClient as new (options: { url: string }) => { connectionState: string };
  assert.equal(new DotmClient({ url: 'https://ctrl.test' }).connectionState, 'disconnected');
});

/** This process's children running esbuild's binary, from /proc. */
function esbuildChildren(): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && stat.includes('(esbuild)')) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** The child is killed as the last build ends but may take a moment to exit and be reaped. */
async function esbuildChildrenAfterAMoment(): Promise<number[]> {
  for (let i = 0; i < 50 && esbuildChildren().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return esbuildChildren();
}

test("esbuild's service process does not outlive the builds, and later builds still work", async () => {
  assert.deepEqual(await esbuildChildrenAfterAMoment(), []);
  const [a, b] = await Promise.all([buildWebAssets({ dev: false }), buildWebAssets({ dev: true })]);
  assert.ok(a.get('/sdk/dotm-client.js'));
  assert.ok(b.get('/sdk/dotm-client.js'));
  assert.deepEqual(await esbuildChildrenAfterAMoment(), []);
});
