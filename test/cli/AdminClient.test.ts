import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AdminClient } from '../../src/cli/AdminClient.ts';

describe('AdminClient', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ method?: string; url?: string; authorization?: string; body: string }> = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
        if (req.url === '/api/v1/ok') {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"nodes":[1]}');
        } else if (req.url === '/api/v1/refused') {
          res.writeHead(409, { 'Content-Type': 'application/json' });
          res.end('{"error":{"code":"conflict","message":"node is already draining"}}');
        } else {
          res.writeHead(502, { 'Content-Type': 'text/html' }).end('<h1>Bad gateway</h1>');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the API key and the JSON body, and returns the parsed answer', async () => {
    const client = new AdminClient(base, 'k1');
    assert.deepEqual(await client.call('POST', '/api/v1/ok', { force: true }), { nodes: [1] });
    assert.deepEqual(seen.at(-1), {
      method: 'POST',
      url: '/api/v1/ok',
      authorization: 'Bearer k1',
      body: '{"force":true}',
    });
  });

  it("a refusal is an error worded by the server; a proxy's HTML page by its status", async () => {
    const client = new AdminClient(base, 'k1');
    await assert.rejects(client.call('POST', '/api/v1/refused'), {
      message: 'POST /api/v1/refused answered 409: node is already draining',
    });
    await assert.rejects(client.call('GET', '/api/v1/elsewhere'), {
      message: 'GET /api/v1/elsewhere answered 502: <h1>Bad gateway</h1>',
    });
  });

  it('a controller that cannot be reached is named, with the reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(new AdminClient(`http://127.0.0.1:${port}`, 'k1').call('GET', '/api/v1/nodes'), {
      message: `cannot reach the controller at http://127.0.0.1:${port} (ECONNREFUSED); give --url or set DOTM_CONTROLLER_URL`,
    });
  });

  it('takes the controller and key from flags first, then the environment', () => {
    assert.equal(AdminClient.fromFlags({}, {}), undefined, 'no key anywhere');
    assert.ok(AdminClient.fromFlags({}, { DOTM_CONTROLLER_API_KEYS: 'a,b' }));
    assert.ok(AdminClient.fromFlags({ 'api-key': 'x' }, {}));
  });
});
