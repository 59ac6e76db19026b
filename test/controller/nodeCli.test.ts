import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeView } from '../../src/controller/NodeDrainer.ts';
import { nodeView } from '../../src/controller/NodeDrainer.ts';
import { runNodeCli } from '../../src/controller/nodeCli.ts';
import { nodeReport } from './roomServiceRig.ts';

interface Call {
  method: string;
  url: string;
  auth: string | null;
  body: unknown;
}

/** A controller's node admin API behind an injected fetch: node-a drains over two polls. */
function fakeController() {
  const calls: Call[] = [];
  let polls = 0;
  const node = (state: 'active' | 'draining' | 'drained'): NodeView =>
    nodeView(
      nodeReport('node-a', {
        draining: state !== 'active',
        ...(state === 'active' ? {} : { drain: { reason: 'upgrade', force: false, since: 1 } }),
        load: { otms: state === 'drained' ? 0 : 3 },
      }),
    );
  const fetchLike = (async (input: URL, init: RequestInit) => {
    const url = String(input);
    calls.push({
      method: init.method ?? 'GET',
      url,
      auth: new Headers(init.headers).get('authorization'),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    let body: unknown;
    if (url.endsWith('/api/v1/nodes')) body = { nodes: [node(polls++ < 1 ? 'draining' : 'drained')] };
    else if (url.endsWith('/drain'))
      body = { node: node('draining'), streams: { started: 3 }, message: '3 stream(s) moving.' };
    else if (url.endsWith('/undrain')) body = { node: node('active') };
    else return new Response(JSON.stringify({ error: { message: 'no' } }), { status: 404 });
    return new Response(JSON.stringify(body), { status: 200 });
  }) as unknown as typeof fetch;
  return { calls, fetch: fetchLike };
}

function run(args: string[], env: NodeJS.ProcessEnv = { DOTM_API_KEY: 'k1' }) {
  const controller = fakeController();
  const out: string[] = [];
  const err: string[] = [];
  const code = runNodeCli(args, {
    env,
    fetch: controller.fetch,
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    pollMs: 1,
  });
  return { code, out, err, calls: controller.calls };
}

test('dotm node list prints every node with its state, load and protocol', async () => {
  const { code, out, calls } = run(['list', '--url', 'http://ctrl.test:8080']);
  assert.equal(await code, 0);
  assert.deepEqual(
    calls.map((c) => [c.method, c.url, c.auth]),
    [['GET', 'http://ctrl.test:8080/api/v1/nodes', 'Bearer k1']],
  );
  const [header, row] = out.join('').trim().split('\n');
  assert.match(header!, /^NODE\s+STATE\s+OTMS/);
  assert.match(row!, /^node-a\s+draining\s+3\s/);
  assert.match(row!, /upgrade$/);
});

test('dotm node drain --force --wait drains through the API and returns once the node is drained', async () => {
  const { code, out, calls } = run(['drain', 'node-a', '--force', '--reason', 'upgrade', '--wait'], {
    DOTM_CONTROLLER_URL: 'http://ctrl.test',
    DOTM_CONTROLLER_API_KEYS: 'first,second',
  });
  assert.equal(await code, 0);
  assert.deepEqual(calls[0], {
    method: 'POST',
    url: 'http://ctrl.test/api/v1/nodes/node-a/drain',
    auth: 'Bearer first',
    body: { reason: 'upgrade', force: true },
  });
  assert.equal(calls.filter((c) => c.method === 'GET').length, 2);
  assert.match(out.join(''), /node-a: drained/);
});

test('dotm node undrain, and the usage errors', async () => {
  const undrain = run(['undrain', 'node-a']);
  assert.equal(await undrain.code, 0);
  assert.equal(undrain.calls[0]?.url, 'http://localhost:8080/api/v1/nodes/node-a/undrain');
  assert.equal(await run(['drain']).code, 2);
  assert.equal(await run(['list', 'node-a']).code, 2);
  assert.equal(await run(['list'], {}).code, 2, 'no API key');
  assert.equal(await run(['list', '--bogus']).code, 2);
});
