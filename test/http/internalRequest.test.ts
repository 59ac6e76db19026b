import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { internalRequest, isSuccess } from '../../src/http/internalRequest.ts';

describe('internalRequest', () => {
  let server: Server;
  let base: URL;

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') return; // never answers
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        res.writeHead(req.url === '/missing' ? 404 : 200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization ?? null, body }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends method, headers and body, and answers with status and text', async () => {
    const response = await internalRequest(new URL('/x', base), {
      method: 'POST',
      headers: { Authorization: 'Bearer s', 'Content-Type': 'application/json' },
      body: '{"a":1}',
      timeoutMs: 2000,
    });
    assert.equal(response.status, 200);
    assert.ok(isSuccess(response));
    assert.deepEqual(JSON.parse(response.text), { method: 'POST', auth: 'Bearer s', body: '{"a":1}' });
    const missing = await internalRequest(new URL('/missing', base), { timeoutMs: 2000 });
    assert.equal(missing.status, 404);
    assert.equal(isSuccess(missing), false);
  });

  it('gives up after its timeout, and on a refused connection', async () => {
    await assert.rejects(internalRequest(new URL('/slow', base), { timeoutMs: 100 }), /no answer in 100 ms/);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(internalRequest(new URL(`http://127.0.0.1:${port}/`), { timeoutMs: 2000 }), {
      code: 'ECONNREFUSED',
    });
  });
});
