import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RTCPeerConnection } from 'werift';
import { WebSocket } from 'ws';
import { StunClass, StunMethod } from '../../src/media/stun/constants.ts';
import { StunMessage } from '../../src/media/stun/StunMessage.ts';
import type { PublishResponse, RoomView, SubscribeResponse } from '../../src/protocol/httpApi.ts';
import type { ServerMessage } from '../../src/protocol/roomSignalling.ts';
import { signJwt } from '../../src/security/jwt.ts';
import { type MediaGrantClaims, MediaTokens } from '../../src/security/MediaTokens.ts';
import type { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';
import { processAlive } from '../support/processTree.ts';
import { api, startTestCluster, stopTestCluster, waitFor } from '../support/startTestCluster.ts';
import {
  createWeriftPeer,
  endSession,
  MediaStreamTrack,
  negotiate,
  startSyntheticMedia,
} from '../support/weriftPeer.ts';

/**
 * The foundation's bad-input requirement, end to end: one healthy publisher and one viewer keep
 * media flowing while every kind of bad input is fired at the controller, the nodes' WHIP/WHEP
 * endpoints and the workers' UDP ports. Each HTTP case must get its exact 4xx and a JSON error a
 * human can act on; UDP garbage must be dropped; nothing may disturb the healthy session.
 */

const TOKEN_SECRET = 'bad-input-test-media-token-secret';
const ROOM = 'bad-input';
const OTHER_ROOM = 'bad-input-other';
const WS_ROOM = 'bad-input-ws';
/** The default controller.maxBodyBytes, which the nodes share. */
const BODY_LIMIT = 65_536;
/** Longest gap between two received video packets that still counts as "media unaffected" (50 fps sent). */
const MAX_MEDIA_STALL_MS = 1_000;

const FINGERPRINT = Array.from({ length: 32 }, (_, i) => ((i * 37) & 0xff).toString(16).padStart(2, '0'))
  .join(':')
  .toUpperCase();

/** A minimal offer this server accepts (checked once per direction), which the hostile cases mutate. */
function offer(direction: 'sendonly' | 'recvonly', edit: (lines: string[]) => string[] = (l) => l): string {
  const section = (kind: string, mid: string, pt: number, rtpmap: string): string[] => [
    `m=${kind} 9 UDP/TLS/RTP/SAVPF ${pt}`,
    'c=IN IP4 0.0.0.0',
    'a=ice-ufrag:bAdI',
    'a=ice-pwd:badInputPassword0123456789',
    `a=fingerprint:sha-256 ${FINGERPRINT}`,
    'a=setup:actpass',
    `a=mid:${mid}`,
    `a=${direction}`,
    'a=rtcp-mux',
    `a=rtpmap:${pt} ${rtpmap}`,
    ...(direction === 'sendonly' ? [`a=ssrc:${1000 + pt} cname:bad-input`] : []),
  ];
  const lines = [
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    ...section('audio', '0', 111, 'opus/48000/2'),
    ...section('video', '1', 96, 'VP8/90000'),
  ];
  return `${edit(lines).join('\r\n')}\r\n`;
}

const replaceLine = (pattern: RegExp, replacement: string | null) => (lines: string[]) =>
  lines.flatMap((line) => (pattern.test(line) ? (replacement === null ? [] : [replacement]) : [line]));

interface Context {
  cluster: EmbeddedCluster;
  controllerUrl: string;
  tokens: MediaTokens;
  streamId: string;
  publisherId: string;
  publishToken: string;
  subscribeToken: string;
  /** The node carrying the healthy stream, and the one that does not. */
  nodeUrl: string;
  otherNodeUrl: string;
  publisherResource: string;
  viewerResource: string;
  /** A second stream, in another room, with no media: a safe target for requests that might succeed. */
  spare: {
    streamId: string;
    publisherId: string;
    publishToken: string;
    nodeUrl: string;
    /** Set once a (never connecting) WHIP session is accepted on it. */
    publisherResource?: string;
  };
  /** The UDP port of the worker carrying the healthy stream. */
  mediaPort: number;
  /** Every worker port seen in an answer (the spare stream's worker too, normally on the other node). */
  mediaPorts: Set<number>;
  viewerIce: IceCredentials;
  publisherIce: IceCredentials;
}

interface IceCredentials {
  serverUfrag: string;
  serverPwd: string;
  clientUfrag: string;
}

interface HttpCase {
  name: string;
  request: (c: Context) => { method: string; url: string; headers?: Record<string, string>; body?: BodyInit };
  status: number;
  code?: string;
  message: RegExp;
}

const ctx = {} as Context;
const received = { video: 0, audio: 0 };
const samples: Array<{ at: number; video: number }> = [];

function mint(claims: Partial<MediaGrantClaims>, options: { secret?: string; nowMs?: number } = {}): string {
  const tokens = options.secret ? new MediaTokens(options.secret, 600) : ctx.tokens;
  return tokens.issue(
    {
      room: ROOM,
      participantId: ctx.publisherId,
      streamId: ctx.streamId,
      role: 'publish',
      ...claims,
    },
    options.nowMs,
  ).token;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const sdpHeaders = (token: string) => ({ ...bearer(token), 'Content-Type': 'application/sdp' });
const jsonHeaders = (c: Context) => ({ ...bearer(c.cluster.apiKey), 'Content-Type': 'application/json' });
const whip = (c: Context, streamId = c.streamId, node = c.nodeUrl) => `${node}/whip/${streamId}`;
const whep = (c: Context, streamId = c.streamId, node = c.nodeUrl) => `${node}/whep/${streamId}`;
const postWhip = (c: Context, body: BodyInit, token = c.publishToken) => ({
  method: 'POST',
  url: whip(c),
  headers: sdpHeaders(token),
  body,
});
const postWhep = (c: Context, body: BodyInit, token = c.subscribeToken) => ({
  method: 'POST',
  url: whep(c),
  headers: sdpHeaders(token),
  body,
});

/** A body sent chunked, with no Content-Length, so the size is only known while reading. */
function streamedBody(totalBytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= totalBytes) {
        controller.close();
        return;
      }
      const chunk = new Uint8Array(Math.min(16_384, totalBytes - sent)).fill(0x61);
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
}

async function expectHttpError(kase: HttpCase): Promise<void> {
  const { method, url, headers, body } = kase.request(ctx);
  const init: RequestInit & { duplex?: 'half' } = { method, headers, body };
  if (body instanceof ReadableStream) init.duplex = 'half';
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  assert.equal(response.status, kase.status, `${method} ${url} answered ${response.status}: ${text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/, `not JSON: ${text}`);
  const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof parsed.error?.code, 'string', text);
  assert.equal(typeof parsed.error?.message, 'string', text);
  const { code, message } = parsed.error as { code: string; message: string };
  assert.ok(message.length >= 12, `message too short to act on: ${text}`);
  assert.doesNotMatch(message, /internal error|\n\s+at /, `message leaks nothing useful: ${text}`);
  if (kase.code !== undefined) assert.equal(code, kase.code, text);
  assert.match(message, kase.message, text);
}

// ── controller: /api/v1 ─────────────────────────────────────────────────────────────

const CONTROLLER_CASES: HttpCase[] = [
  {
    name: 'publish without Authorization',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ room: ROOM, participant: 'x' }),
    }),
    status: 401,
    code: 'unauthorized',
    message: /Authorization: Bearer/,
  },
  {
    name: 'publish with a wrong API key',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: { ...bearer('not-the-key'), 'Content-Type': 'application/json' },
      body: JSON.stringify({ room: ROOM, participant: 'x' }),
    }),
    status: 401,
    code: 'unauthorized',
    message: /API key/,
  },
  {
    name: 'publish with a media token instead of the API key',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: { ...bearer(c.publishToken), 'Content-Type': 'application/json' },
      body: JSON.stringify({ room: ROOM, participant: 'x' }),
    }),
    status: 401,
    message: /API key/,
  },
  {
    name: 'publish with Content-Type text/plain',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: { ...bearer(c.cluster.apiKey), 'Content-Type': 'text/plain' },
      body: JSON.stringify({ room: ROOM, participant: 'x' }),
    }),
    status: 415,
    code: 'unsupported-media-type',
    message: /application\/json.*text\/plain/,
  },
  {
    name: 'publish with no Content-Type',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: bearer(c.cluster.apiKey),
      body: new Uint8Array(Buffer.from('{"room":"bad-input","participant":"x"}')),
    }),
    status: 415,
    message: /application\/json/,
  },
  {
    name: 'publish with truncated JSON',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: jsonHeaders(c),
      body: '{"room": "bad-in',
    }),
    status: 400,
    code: 'bad-json',
    message: /not valid JSON/,
  },
  {
    name: 'publish with a JSON array',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: jsonHeaders(c),
      body: '[1,2,3]',
    }),
    status: 400,
    message: /JSON object/,
  },
  {
    name: 'publish with non-UTF-8 bytes as JSON',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: jsonHeaders(c),
      body: new Uint8Array([0x7b, 0xff, 0xfe, 0x00, 0x7d]),
    }),
    status: 400,
    code: 'bad-json',
    message: /request body is not valid UTF-8 \(byte 0xff at offset 1\)/,
  },
  {
    name: 'publish without "room"',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: jsonHeaders(c),
      body: JSON.stringify({ participant: 'x' }),
    }),
    status: 400,
    code: 'bad-request',
    message: /"room"/,
  },
  {
    name: 'publish into a room name with path characters',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: jsonHeaders(c),
      body: JSON.stringify({ room: '../../etc/passwd', participant: 'x' }),
    }),
    status: 400,
    message: /room name/,
  },
  {
    name: 'publish with a 500-character participant name',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: jsonHeaders(c),
      body: JSON.stringify({ room: ROOM, participant: 'x'.repeat(500) }),
    }),
    status: 400,
    message: /"participant" is longer than 100/,
  },
  {
    name: 'publish with kind "hologram"',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: jsonHeaders(c),
      body: JSON.stringify({ room: ROOM, participant: 'x', kind: 'hologram' }),
    }),
    status: 400,
    message: /"kind" is "camera" or "screen"/,
  },
  {
    name: 'publish with a body over the limit (Content-Length)',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: jsonHeaders(c),
      body: JSON.stringify({ room: ROOM, participant: 'x', pad: 'p'.repeat(BODY_LIMIT) }),
    }),
    status: 413,
    code: 'body-too-large',
    message: /limit is 65536/,
  },
  {
    name: 'publish with a chunked body over the limit',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/publish`,
      headers: jsonHeaders(c),
      body: streamedBody(1024 * 1024),
    }),
    status: 413,
    code: 'body-too-large',
    message: /limit of 65536/,
  },
  {
    name: 'subscribe to an unknown room',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/subscribe`,
      headers: jsonHeaders(c),
      body: JSON.stringify({ room: 'no-such-room', streamId: c.streamId }),
    }),
    status: 404,
    code: 'not-found',
    message: /no room "no-such-room"/,
  },
  {
    name: 'subscribe to an unknown stream',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/subscribe`,
      headers: jsonHeaders(c),
      body: JSON.stringify({ room: ROOM, streamId: 'no-such-stream' }),
    }),
    status: 404,
    code: 'not-found',
    message: /no stream no-such-stream in room "bad-input"/,
  },
  {
    name: 'subscribe to a stream of another room',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/subscribe`,
      headers: jsonHeaders(c),
      body: JSON.stringify({ room: ROOM, streamId: c.spare.streamId }),
    }),
    status: 404,
    message: /no stream .* in room "bad-input"/,
  },
  {
    name: 'subscribe with a numeric streamId',
    request: (c) => ({
      method: 'POST',
      url: `${c.controllerUrl}/api/v1/subscribe`,
      headers: jsonHeaders(c),
      body: JSON.stringify({ room: ROOM, streamId: 42 }),
    }),
    status: 400,
    message: /"streamId" must be a non-empty string/,
  },
  {
    name: 'GET an unknown room',
    request: (c) => ({
      method: 'GET',
      url: `${c.controllerUrl}/api/v1/rooms/no-such-room`,
      headers: bearer(c.cluster.apiKey),
    }),
    status: 404,
    message: /no room "no-such-room"/,
  },
  {
    name: 'GET a room with a malformed percent-encoding',
    request: (c) => ({
      method: 'GET',
      url: `${c.controllerUrl}/api/v1/rooms/%E0%A4%A`,
      headers: bearer(c.cluster.apiKey),
    }),
    status: 400,
    message: /malformed path segment/,
  },
  {
    name: 'PUT /api/v1/publish',
    request: (c) => ({ method: 'PUT', url: `${c.controllerUrl}/api/v1/publish`, headers: jsonHeaders(c) }),
    status: 405,
    code: 'method-not-allowed',
    message: /PUT is not allowed on \/api\/v1\/publish/,
  },
  {
    name: 'DELETE a room',
    request: (c) => ({
      method: 'DELETE',
      url: `${c.controllerUrl}/api/v1/rooms/${ROOM}`,
      headers: bearer(c.cluster.apiKey),
    }),
    status: 405,
    message: /DELETE is not allowed/,
  },
  {
    name: 'POST /health',
    request: (c) => ({ method: 'POST', url: `${c.controllerUrl}/health` }),
    status: 405,
    message: /POST is not allowed on \/health/,
  },
  {
    name: 'an unknown API path',
    request: (c) => ({
      method: 'GET',
      url: `${c.controllerUrl}/api/v1/nope`,
      headers: bearer(c.cluster.apiKey),
    }),
    status: 404,
    code: 'not-found',
    message: /no such page or endpoint/,
  },
];

// ── nodes: WHIP/WHEP authorization and routing ─────────────────────────────────────

const NODE_AUTH_CASES: HttpCase[] = [
  {
    name: 'WHIP without Authorization',
    request: (c) => ({
      method: 'POST',
      url: whip(c),
      headers: { 'Content-Type': 'application/sdp' },
      body: offer('sendonly'),
    }),
    status: 401,
    code: 'unauthorized',
    message: /Authorization: Bearer <token>/,
  },
  {
    name: 'WHIP with Basic authorization',
    request: (c) => ({
      method: 'POST',
      url: whip(c),
      headers: { Authorization: 'Basic dXNlcjpwYXNz', 'Content-Type': 'application/sdp' },
      body: offer('sendonly'),
    }),
    status: 401,
    message: /Authorization header must be "Bearer <token>" \(got "Basic \.\.\."\)/,
  },
  {
    name: 'WHIP with a token that is not a JWT',
    request: (c) => postWhip(c, offer('sendonly'), 'not-a-jwt'),
    status: 401,
    code: 'unauthorized',
    message: /not a JWT/,
  },
  {
    name: 'WHIP with a 10 kB token',
    request: (c) => postWhip(c, offer('sendonly'), 'a'.repeat(10_000)),
    status: 401,
    message: /not a JWT/,
  },
  {
    name: 'WHIP with an expired token',
    request: (c) => postWhip(c, offer('sendonly'), mint({}, { nowMs: Date.now() - 3_600_000 })),
    status: 401,
    code: 'token-expired',
    message: /expired/,
  },
  {
    name: 'WHIP with a token signed with another secret',
    request: (c) => postWhip(c, offer('sendonly'), mint({}, { secret: 'some-other-secret' })),
    status: 401,
    code: 'unauthorized',
    message: /signature is invalid/,
  },
  {
    name: 'WHIP with an unsigned token (alg "none")',
    request: (c) => {
      const forged = signJwt({}, 'x').split('.');
      const header = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url');
      const claims = Buffer.from(
        JSON.stringify({ room: ROOM, pid: 'p', sid: c.streamId, role: 'publish', exp: 9e9 }),
      ).toString('base64url');
      return postWhip(c, offer('sendonly'), `${header}.${claims}.${forged[2]}`);
    },
    status: 401,
    message: /HS256/,
  },
  {
    name: 'WHIP with a subscribe token (wrong role)',
    request: (c) => postWhip(c, offer('sendonly'), c.subscribeToken),
    status: 403,
    code: 'forbidden',
    message: /does not allow publish/,
  },
  {
    name: 'WHEP with a publish token (wrong role)',
    request: (c) => postWhep(c, offer('recvonly'), c.publishToken),
    status: 403,
    code: 'forbidden',
    message: /does not allow subscribe/,
  },
  {
    name: 'WHIP with the token of another stream',
    request: (c) => postWhip(c, offer('sendonly'), c.spare.publishToken),
    status: 403,
    code: 'forbidden',
    message: /another stream/,
  },
  {
    name: 'WHEP with a token for this stream id but another room',
    request: (c) => postWhep(c, offer('recvonly'), mint({ room: OTHER_ROOM, role: 'subscribe' })),
    status: 403,
    code: 'forbidden',
    message: /another room/,
  },
  {
    name: 'WHEP for an unknown stream (valid token)',
    request: (c) => {
      const streamId = randomUUID();
      return {
        method: 'POST',
        url: whep(c, streamId),
        headers: sdpHeaders(mint({ streamId, role: 'subscribe' })),
        body: offer('recvonly'),
      };
    },
    status: 404,
    code: 'not-found',
    message: /has no OTM on this node/,
  },
  {
    name: 'WHEP for a stream on the other node',
    request: (c) => ({
      method: 'POST',
      url: whep(c, c.streamId, c.otherNodeUrl),
      headers: sdpHeaders(c.subscribeToken),
      body: offer('recvonly'),
    }),
    status: 404,
    message: /has no OTM on this node/,
  },
  {
    name: 'WHIP with Content-Type text/plain',
    request: (c) => ({
      method: 'POST',
      url: whip(c),
      headers: { ...bearer(c.publishToken), 'Content-Type': 'text/plain' },
      body: offer('sendonly'),
    }),
    status: 415,
    code: 'unsupported-media-type',
    message: /Content-Type must be application\/sdp, got text\/plain/,
  },
  {
    name: 'WHEP with no Content-Type',
    request: (c) => ({
      method: 'POST',
      url: whep(c),
      headers: bearer(c.subscribeToken),
      body: new Uint8Array(Buffer.from(offer('recvonly'))),
    }),
    status: 415,
    message: /Content-Type must be application\/sdp, got none/,
  },
  {
    name: 'WHIP with a JSON body',
    request: (c) => ({
      method: 'POST',
      url: whip(c),
      headers: { ...bearer(c.publishToken), 'Content-Type': 'application/json' },
      body: JSON.stringify({ sdp: offer('sendonly') }),
    }),
    status: 415,
    message: /application\/sdp/,
  },
  {
    name: 'WHIP with a body over the limit (Content-Length)',
    request: (c) =>
      postWhip(
        c,
        offer('sendonly', (l) => [...l, `a=x-pad:${'p'.repeat(BODY_LIMIT)}`]),
      ),
    status: 413,
    code: 'body-too-large',
    message: /limit is 65536/,
  },
  {
    name: 'WHIP with a chunked 1 MB body',
    request: (c) => postWhip(c, streamedBody(1024 * 1024)),
    status: 413,
    code: 'body-too-large',
    message: /limit of 65536/,
  },
  {
    name: 'GET a WHIP endpoint',
    request: (c) => ({ method: 'GET', url: whip(c), headers: bearer(c.publishToken) }),
    status: 405,
    code: 'method-not-allowed',
    message: /GET is not allowed on \/whip\//,
  },
  {
    name: 'PUT a WHEP endpoint',
    request: (c) => ({ method: 'PUT', url: whep(c), headers: sdpHeaders(c.subscribeToken), body: 'x' }),
    status: 405,
    message: /PUT is not allowed/,
  },
  {
    name: 'POST to a WHIP resource',
    request: (c) => ({
      method: 'POST',
      url: c.publisherResource,
      headers: sdpHeaders(c.publishToken),
      body: 'x',
    }),
    status: 405,
    message: /POST is not allowed/,
  },
  {
    name: 'PATCH the WHEP endpoint itself (no resource)',
    request: (c) => ({
      method: 'PATCH',
      url: whep(c),
      headers: { ...bearer(c.subscribeToken), 'Content-Type': 'application/trickle-ice-sdpfrag' },
      body: 'a=ice-ufrag:abcd\r\n',
    }),
    status: 405,
    message: /PATCH is not allowed/,
  },
  {
    name: 'a stream id with a malformed percent-encoding',
    request: (c) => ({
      method: 'POST',
      url: `${c.nodeUrl}/whip/%ZZ%E0`,
      headers: sdpHeaders(c.publishToken),
      body: offer('sendonly'),
    }),
    status: 400,
    message: /malformed path segment/,
  },
  {
    name: 'an unknown node path',
    request: (c) => ({
      method: 'POST',
      url: `${c.nodeUrl}/whip`,
      headers: sdpHeaders(c.publishToken),
      body: 'x',
    }),
    status: 404,
    message: /no such endpoint/,
  },
  {
    name: 'the internal API with a media token',
    request: (c) => ({
      method: 'POST',
      url: `${c.nodeUrl}/internal/otms`,
      headers: { ...bearer(c.publishToken), 'Content-Type': 'application/json' },
      body: JSON.stringify({ streamId: 'x', room: ROOM, publisherId: 'p' }),
    }),
    status: 401,
    message: /cluster token rejected/,
  },
  {
    name: 'the internal status without a token',
    request: (c) => ({ method: 'GET', url: `${c.nodeUrl}/internal/status` }),
    status: 401,
    message: /Authorization: Bearer/,
  },
];

// ── nodes: malformed and hostile SDP ───────────────────────────────────────────────

interface SdpCase {
  name: string;
  /** WHIP uses the healthy stream's publish token: a wrongly accepted offer would replace the publisher and fail the media check. */
  endpoint: 'whip' | 'whep';
  body: () => BodyInit;
  status?: number;
  message: RegExp;
}

const mLines = (count: number) => (lines: string[]) => [
  ...lines,
  ...Array.from({ length: count }, () => 'm=audio 9 UDP/TLS/RTP/SAVPF 111'),
];

const SDP_CASES: SdpCase[] = [
  {
    name: 'not SDP at all',
    endpoint: 'whip',
    body: () => 'hello, server',
    message: /line 1: expected "<letter>=<value>"/,
  },
  { name: 'an empty body', endpoint: 'whip', body: () => '', message: /SDP is empty/ },
  {
    name: 'a JSON document sent as application/sdp',
    endpoint: 'whep',
    body: () => JSON.stringify({ type: 'offer', sdp: offer('recvonly') }),
    message: /expected "<letter>=<value>"/,
  },
  {
    name: 'CR-only line endings',
    endpoint: 'whip',
    body: () => offer('sendonly').replaceAll('\r\n', '\r'),
    message: /control character|line 1/,
  },
  {
    name: '3,000 attribute lines',
    endpoint: 'whip',
    body: () => offer('sendonly', (l) => [...l, ...Array.from({ length: 3000 }, (_, i) => `a=x-junk:${i}`)]),
    message: /lines; the limit is 2000/,
  },
  {
    name: '1,000 m-lines',
    endpoint: 'whip',
    body: () => offer('sendonly', mLines(1000)),
    message: /more than 64 m= sections/,
  },
  {
    name: 'a 5,000-character attribute line',
    endpoint: 'whep',
    body: () => offer('recvonly', (l) => [...l, `a=x-long:${'z'.repeat(5000)}`]),
    message: /5009 characters long; the limit is 4096/,
  },
  {
    name: 'a clock rate of 10^20',
    endpoint: 'whip',
    body: () => offer('sendonly', replaceLine(/^a=rtpmap:96 /, 'a=rtpmap:96 VP8/100000000000000000000')),
    message: /line \d+/,
  },
  {
    name: 'payload type 300',
    endpoint: 'whip',
    body: () =>
      offer('sendonly', (l) =>
        replaceLine(
          /^a=rtpmap:96 /,
          'a=rtpmap:300 VP8/90000',
        )(replaceLine(/^m=video/, 'm=video 9 UDP/TLS/RTP/SAVPF 300')(l)),
      ),
    message: /payload type/,
  },
  {
    name: 'port 999999',
    endpoint: 'whip',
    body: () => offer('sendonly', replaceLine(/^m=audio/, 'm=audio 999999 UDP/TLS/RTP/SAVPF 111')),
    message: /not a number 0-65535/,
  },
  {
    name: 'an SSRC of 2^40',
    endpoint: 'whip',
    body: () => offer('sendonly', replaceLine(/^a=ssrc:1096 /, 'a=ssrc:1099511627776 cname:x')),
    message: /SSRC/,
  },
  {
    name: 'extmap id 4096',
    endpoint: 'whip',
    body: () => offer('sendonly', (l) => [...l, 'a=extmap:4096 urn:ietf:params:rtp-hdrext:sdes:mid']),
    message: /extmap/,
  },
  {
    name: 'a 300-character ice-ufrag',
    endpoint: 'whip',
    body: () => offer('sendonly', replaceLine(/^a=ice-ufrag/, `a=ice-ufrag:${'u'.repeat(300)}`)),
    message: /ice-ufrag .* is not 4-256 ICE characters/,
  },
  {
    name: 'a 3-character ice-pwd',
    endpoint: 'whip',
    body: () => offer('sendonly', replaceLine(/^a=ice-pwd/, 'a=ice-pwd:abc')),
    message: /ice-pwd is not 22-256 ICE characters/,
  },
  {
    name: 'non-UTF-8 bytes',
    endpoint: 'whip',
    body: () => {
      const text = offer('sendonly').replace('s=-', 's=\u0001SESSION\u0001');
      const bytes = Buffer.from(text, 'latin1');
      const at = bytes.indexOf('\u0001SESSION\u0001', 0, 'latin1');
      bytes[at] = 0xff;
      bytes[at + 8] = 0xc3;
      return new Uint8Array(bytes);
    },
    message: /the SDP offer is not valid UTF-8 \(byte 0xff at offset \d+\)/,
  },
  {
    name: 'a NUL byte',
    endpoint: 'whep',
    body: () => offer('recvonly').replace('a=mid:0', 'a=mid:0\u0000x'),
    message: /control character/,
  },
  {
    name: 'no ice-ufrag',
    endpoint: 'whip',
    body: () => offer('sendonly', replaceLine(/^a=ice-ufrag/, null)),
    message: /no a=ice-ufrag/,
  },
  {
    name: 'no ice-pwd',
    endpoint: 'whep',
    body: () => offer('recvonly', replaceLine(/^a=ice-pwd/, null)),
    message: /no a=ice-pwd/,
  },
  {
    name: 'no fingerprint',
    endpoint: 'whip',
    body: () => offer('sendonly', replaceLine(/^a=fingerprint/, null)),
    message: /no a=fingerprint/,
  },
  {
    name: 'a fingerprint that is not hex',
    endpoint: 'whip',
    body: () => offer('sendonly', replaceLine(/^a=fingerprint/, 'a=fingerprint:sha-256 ZZ:YY')),
    message: /a=fingerprint must be/,
  },
  {
    name: 'a=setup:passive (the server is always passive)',
    endpoint: 'whip',
    body: () => offer('sendonly', replaceLine(/^a=setup/, 'a=setup:passive')),
    message: /a=setup:passive.*offer a=setup:actpass or active/,
  },
  {
    name: 'a=setup:holdconn',
    endpoint: 'whep',
    body: () => offer('recvonly', replaceLine(/^a=setup/, 'a=setup:holdconn')),
    message: /a=setup:holdconn/,
  },
  {
    name: 'a=setup:sideways',
    endpoint: 'whip',
    body: () => offer('sendonly', replaceLine(/^a=setup/, 'a=setup:sideways')),
    message: /a=setup must be actpass, active, passive or holdconn/,
  },
  {
    name: 'unsupported codecs only (G722 and H265)',
    endpoint: 'whip',
    body: () =>
      offer('sendonly', (l) =>
        replaceLine(
          /^a=rtpmap:96 /,
          'a=rtpmap:96 H265/90000',
        )(replaceLine(/^a=rtpmap:111 /, 'a=rtpmap:111 G722/8000')(l)),
      ),
    message: /no audio or video m-line of the offer can be accepted/,
  },
  {
    name: 'unsupported codecs only, to WHEP',
    endpoint: 'whep',
    body: () =>
      offer('recvonly', (l) =>
        replaceLine(
          /^a=rtpmap:96 /,
          'a=rtpmap:96 AV1/90000',
        )(replaceLine(/^a=rtpmap:111 /, 'a=rtpmap:111 PCMU/8000')(l)),
      ),
    message: /can be accepted|codec/,
  },
  {
    name: 'a data channel only',
    endpoint: 'whip',
    body: () =>
      [
        'v=0',
        'o=- 1 2 IN IP4 127.0.0.1',
        's=-',
        't=0 0',
        'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
        'c=IN IP4 0.0.0.0',
        'a=ice-ufrag:bAdI',
        'a=ice-pwd:badInputPassword0123456789',
        `a=fingerprint:sha-256 ${FINGERPRINT}`,
        'a=setup:actpass',
        'a=mid:0',
        'a=sctp-port:5000',
        '',
      ].join('\r\n'),
    message: /application m-lines are not supported/,
  },
  {
    name: 'an ICE-lite offer',
    endpoint: 'whip',
    body: () => offer('sendonly', (l) => [...l.slice(0, 4), 'a=ice-lite', ...l.slice(4)]),
    message: /ICE-lite and so is this server/,
  },
  {
    name: 'a BUNDLE group naming a missing mid',
    endpoint: 'whip',
    body: () => offer('sendonly', replaceLine(/^a=group:BUNDLE/, 'a=group:BUNDLE 0 1 7')),
    message: /lists mid "7" that no m= line has/,
  },
  {
    name: 'an m-line without a mid',
    endpoint: 'whep',
    body: () =>
      offer('recvonly', (l) =>
        replaceLine(/^a=group:BUNDLE/, 'a=group:BUNDLE 0')(replaceLine(/^a=mid:1$/, null)(l)),
      ),
    message: /has no a=mid/,
  },
  {
    name: 'a second o= line',
    endpoint: 'whip',
    body: () => offer('sendonly', (l) => [...l.slice(0, 2), l[1], ...l.slice(2)]),
    message: /a second "o=" line/,
  },
  {
    name: 'no o= line',
    endpoint: 'whip',
    body: () => offer('sendonly', replaceLine(/^o=/, null)),
    message: /no "o=" line/,
  },
];

// ── nodes: PATCH and DELETE of resources ───────────────────────────────────────────

const FRAGMENT = 'a=ice-ufrag:newU\r\na=ice-pwd:newPassword0123456789abcd\r\na=mid:0\r\n';
const patchHeaders = (token: string) => ({
  ...bearer(token),
  'Content-Type': 'application/trickle-ice-sdpfrag',
});

const RESOURCE_CASES: HttpCase[] = [
  {
    name: 'PATCH an unknown resource',
    request: (c) => ({
      method: 'PATCH',
      url: `${whep(c)}/no-such-resource`,
      headers: patchHeaders(c.subscribeToken),
      body: FRAGMENT,
    }),
    status: 404,
    code: 'not-found',
    message: /no such WH(IP|EP) resource/,
  },
  {
    name: 'PATCH with Content-Type application/sdp',
    request: (c) => ({
      method: 'PATCH',
      url: c.viewerResource,
      headers: sdpHeaders(c.subscribeToken),
      body: FRAGMENT,
    }),
    status: 415,
    message: /application\/trickle-ice-sdpfrag, got application\/sdp/,
  },
  {
    name: 'PATCH with binary junk',
    request: (c) => ({
      method: 'PATCH',
      url: c.viewerResource,
      headers: patchHeaders(c.subscribeToken),
      body: new Uint8Array([0x61, 0x3d, 0xc0, ...randomBytes(509)]),
    }),
    status: 400,
    code: 'bad-sdp',
    message: /the SDP fragment is not valid UTF-8 \(byte 0xc0 at offset 2\)/,
  },
  {
    name: 'PATCH with text that is not an SDP fragment',
    request: (c) => ({
      method: 'PATCH',
      url: c.viewerResource,
      headers: patchHeaders(c.subscribeToken),
      body: 'please restart ICE\r\n',
    }),
    status: 400,
    code: 'bad-sdp',
    message: /body is not a trickle-ice-sdpfrag/,
  },
  {
    name: 'PATCH without a token',
    request: (c) => ({
      method: 'PATCH',
      url: c.viewerResource,
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' },
      body: FRAGMENT,
    }),
    status: 401,
    message: /Authorization: Bearer/,
  },
  {
    name: 'PATCH with a body over the limit',
    request: (c) => ({
      method: 'PATCH',
      url: c.viewerResource,
      headers: patchHeaders(c.subscribeToken),
      body: `a=x:${'p'.repeat(BODY_LIMIT)}`,
    }),
    status: 413,
    message: /limit/,
  },
  {
    name: 'PATCH the viewer’s resource id through another stream',
    request: (c) => ({
      method: 'PATCH',
      url: `${whip(c, c.spare.streamId, c.spare.nodeUrl)}/${c.viewerResource.split('/').pop()}`,
      headers: patchHeaders(c.spare.publishToken),
      body: FRAGMENT,
    }),
    status: 404,
    message: /no such WH(IP|EP) resource/,
  },
  {
    name: 'DELETE an unknown resource',
    request: (c) => ({
      method: 'DELETE',
      url: `${whip(c)}/no-such-resource`,
      headers: bearer(c.publishToken),
    }),
    status: 404,
    code: 'not-found',
    message: /no such WH(IP|EP) resource/,
  },
  {
    name: 'DELETE without a token',
    request: (c) => ({ method: 'DELETE', url: c.viewerResource }),
    status: 401,
    message: /Authorization: Bearer/,
  },
  {
    name: 'DELETE the viewer with an expired token',
    request: (c) => ({
      method: 'DELETE',
      url: c.viewerResource,
      headers: bearer(mint({ role: 'subscribe' }, { nowMs: Date.now() - 3_600_000 })),
    }),
    status: 401,
    message: /expired/,
  },
  {
    name: 'DELETE the publisher with a subscribe token',
    request: (c) => ({ method: 'DELETE', url: c.publisherResource, headers: bearer(c.subscribeToken) }),
    status: 403,
    message: /does not allow publish/,
  },
];

// ── UDP ────────────────────────────────────────────────────────────────────────────

async function udpSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return socket;
}

/** Sends datagrams to the media port and collects whatever comes back within `waitMs`. */
async function fire(
  socket: Socket,
  datagrams: Buffer[],
  waitMs = 150,
  port = ctx.mediaPort,
): Promise<Buffer[]> {
  const replies: Buffer[] = [];
  const onMessage = (msg: Buffer) => replies.push(msg);
  socket.on('message', onMessage);
  for (const datagram of datagrams) {
    await new Promise<void>((resolve, reject) =>
      socket.send(datagram, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
    );
  }
  await new Promise((r) => setTimeout(r, waitMs));
  socket.off('message', onMessage);
  return replies;
}

function bindingRequest(ice: IceCredentials, options: { key?: string; ufrag?: string } = {}): Buffer {
  return new StunMessage({ method: StunMethod.Binding, messageClass: StunClass.Request })
    .setUsername(`${options.ufrag ?? ice.serverUfrag}:${ice.clientUfrag}`)
    .setPriority(1845501695)
    .setIceControlling(12345n)
    .serialize({ integrityKey: options.key ?? ice.serverPwd, fingerprint: true });
}

function garbage(): Buffer[] {
  const datagrams: Buffer[] = [];
  for (let i = 0; i < 40; i++) datagrams.push(randomBytes(1 + ((i * 97) % 1400)));
  // Every first byte, so each branch of the RFC 7983 demultiplexer sees junk.
  for (let first = 0; first < 256; first += 3) {
    const datagram = randomBytes(64);
    datagram[0] = first;
    datagrams.push(datagram);
  }
  datagrams.push(Buffer.alloc(0), Buffer.from([0x00]), Buffer.from([0x80]), Buffer.from([0x16, 0xfe]));
  return datagrams;
}

function truncatedStun(ice: IceCredentials): Buffer[] {
  const full = bindingRequest(ice);
  const lying = Buffer.from(full);
  lying.writeUInt16BE(0x0400, 2); // claims 1 kB of attributes
  const badAttribute = Buffer.from(full);
  badAttribute.writeUInt16BE(0xfff0, 22); // first attribute claims to be 65 kB long
  return [full.subarray(0, 10), full.subarray(0, 20), full.subarray(0, full.length - 7), lying, badAttribute];
}

/** DTLS records: a ClientHello-shaped handshake, a plaintext fatal alert, application data, a renegotiation. */
function fakeDtls(): Buffer[] {
  const record = (contentType: number, epoch: number, body: Buffer): Buffer => {
    const header = Buffer.alloc(13);
    header[0] = contentType;
    header.writeUInt16BE(0xfefd, 1);
    header.writeUInt16BE(epoch, 3);
    header.writeUIntBE(1, 5, 6);
    header.writeUInt16BE(body.length, 11);
    return Buffer.concat([header, body]);
  };
  const clientHello = Buffer.alloc(60);
  clientHello[0] = 1; // client_hello
  clientHello.writeUIntBE(48, 1, 3);
  clientHello.writeUIntBE(48, 9, 3);
  clientHello.writeUInt16BE(0xfefd, 12);
  return [
    record(22, 0, clientHello),
    record(22, 0, randomBytes(80)),
    record(21, 0, Buffer.from([2, 40])), // fatal handshake_failure, unencrypted
    record(21, 1, randomBytes(32)),
    record(23, 1, randomBytes(200)),
    record(20, 0, Buffer.from([1])),
    record(22, 0, Buffer.alloc(0)),
    Buffer.from([22, 0xfe, 0xfd, 0, 0]), // truncated header
    record(22, 0, Buffer.alloc(12, 0xff)),
  ];
}

/** RTP/RTCP-shaped datagrams with random payloads: they cannot authenticate as SRTP. */
function fakeRtp(): Buffer[] {
  const datagrams: Buffer[] = [];
  for (let i = 0; i < 20; i++) {
    const rtp = randomBytes(200);
    rtp[0] = 0x80;
    rtp[1] = i % 2 === 0 ? 96 : 111;
    datagrams.push(rtp);
  }
  for (const type of [200, 201, 205, 206]) {
    const rtcp = randomBytes(60);
    rtcp[0] = 0x81;
    rtcp[1] = type;
    datagrams.push(rtcp);
  }
  return datagrams;
}

function candidatePort(answer: string): number {
  return Number(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/.exec(answer)![1]);
}

function isStunResponse(datagram: Buffer, expectedClass: number): StunMessage | undefined {
  const message = StunMessage.parse(datagram);
  return message?.messageClass === expectedClass ? message : undefined;
}

function iceCredentialsOf(localSdp: string, remoteSdp: string): IceCredentials {
  const field = (sdp: string, name: string) => new RegExp(`a=${name}:(\\S+)`).exec(sdp)![1]!;
  return {
    serverUfrag: field(remoteSdp, 'ice-ufrag'),
    serverPwd: field(remoteSdp, 'ice-pwd'),
    clientUfrag: field(localSdp, 'ice-ufrag'),
  };
}

// ── the test ───────────────────────────────────────────────────────────────────────

describe('bad input gets a clear 4xx (or a silent drop) and breaks nothing', () => {
  let workerPids: number[] = [];
  let sampler: NodeJS.Timeout | undefined;
  let stopMedia: (() => void) | undefined;
  const peers: Array<{ close(): Promise<void> }> = [];
  const sessions: Array<{ pc: RTCPeerConnection; resource: string; token: string }> = [];
  /** Resources on the spare stream that a fixed server would not have deleted through the wrong endpoint. */
  const leftovers: Array<{ url: string; token: string }> = [];

  before(async () => {
    const cluster = await startTestCluster({ controller: { tokenSecret: TOKEN_SECRET } });
    ctx.cluster = cluster;
    ctx.controllerUrl = cluster.controller.url;
    ctx.tokens = new MediaTokens(TOKEN_SECRET, 600);
    workerPids = cluster.nodes.flatMap((n) => n.workerPids);

    const published = await api<PublishResponse>(cluster, 'POST', '/api/v1/publish', {
      room: ROOM,
      participant: 'healthy publisher',
    });
    assert.equal(published.status, 201, JSON.stringify(published.body));
    ctx.streamId = published.body.streamId;
    ctx.publisherId = published.body.participantId;
    ctx.publishToken = published.body.token;
    ctx.nodeUrl = new URL(published.body.whipUrl).origin;
    ctx.otherNodeUrl = cluster.nodes.map((n) => n.url).find((url) => url !== ctx.nodeUrl)!;
    assert.ok(ctx.otherNodeUrl, 'the test needs two nodes');

    const publisher = createWeriftPeer();
    peers.push(publisher);
    const video = new MediaStreamTrack({ kind: 'video' });
    const audio = new MediaStreamTrack({ kind: 'audio' });
    publisher.addTransceiver(audio, { direction: 'sendonly' });
    publisher.addTransceiver(video, { direction: 'sendonly' });
    ctx.publisherResource = await negotiate(publisher, published.body.whipUrl, published.body.token);
    sessions.push({ pc: publisher, resource: ctx.publisherResource, token: ctx.publishToken });
    ctx.publisherIce = iceCredentialsOf(publisher.localDescription!.sdp, publisher.remoteDescription!.sdp);
    await waitFor('publisher connected', () => publisher.connectionState === 'connected' || undefined);
    stopMedia = startSyntheticMedia(video, audio).stop;
    await waitFor('stream live', async () => {
      const room = await api<RoomView>(cluster, 'GET', `/api/v1/rooms/${ROOM}`);
      return room.body.streams?.length === 1 || undefined;
    });

    const grant = await api<SubscribeResponse>(cluster, 'POST', '/api/v1/subscribe', {
      room: ROOM,
      streamId: ctx.streamId,
    });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    ctx.subscribeToken = grant.body.token;
    const viewer = createWeriftPeer();
    peers.push(viewer);
    viewer.addTransceiver('audio', { direction: 'recvonly' });
    viewer.addTransceiver('video', { direction: 'recvonly' });
    viewer.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe(() => {
        if (track.kind === 'video') received.video++;
        else received.audio++;
      });
    });
    ctx.viewerResource = await negotiate(viewer, grant.body.whepUrl, grant.body.token);
    sessions.push({ pc: viewer, resource: ctx.viewerResource, token: ctx.subscribeToken });
    const answer = viewer.remoteDescription!.sdp;
    ctx.viewerIce = iceCredentialsOf(viewer.localDescription!.sdp, answer);
    ctx.mediaPort = candidatePort(answer);
    ctx.mediaPorts = new Set([ctx.mediaPort]);
    await waitFor('viewer receives media', () => (received.video > 20 && received.audio > 20) || undefined);
    sampler = setInterval(() => samples.push({ at: Date.now(), video: received.video }), 50);

    const spare = await api<PublishResponse>(cluster, 'POST', '/api/v1/publish', {
      room: OTHER_ROOM,
      participant: 'spare publisher',
    });
    assert.equal(spare.status, 201, JSON.stringify(spare.body));
    ctx.spare = {
      streamId: spare.body.streamId,
      publisherId: spare.body.participantId,
      publishToken: spare.body.token,
      nodeUrl: new URL(spare.body.whipUrl).origin,
    };
  });

  after(async () => {
    clearInterval(sampler);
    stopMedia?.();
    // Every session leaves the way a client would, so the system closes every OTM by itself.
    await Promise.all(sessions.map(({ pc, resource, token }) => endSession(pc, resource, token)));
    await Promise.all(peers.map((peer) => peer.close()));
    for (const { url, token } of leftovers) {
      const response = await fetch(url, { method: 'DELETE', headers: bearer(token) });
      await response.body?.cancel();
    }
    if (ctx.cluster) await stopTestCluster(ctx.cluster);
  });

  describe('controller API', () => {
    for (const kase of CONTROLLER_CASES) it(`${kase.status}: ${kase.name}`, () => expectHttpError(kase));
  });

  describe('controller WebSocket signalling', () => {
    it('404: an upgrade on another path', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${ctx.controllerUrl.replace('http', 'ws')}/not-ws`);
        socket.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          socket.terminate();
        });
        socket.on('open', () => reject(new Error('upgraded on an unknown path')));
        socket.on('error', () => undefined);
      });
      assert.equal(status, 404);
    });

    it('answers each bad message with a bad-request response and keeps the socket', async () => {
      const ws = await SignallingProbe.open();
      try {
        const cases: Array<{ send: string | Buffer; id?: number; code: string | RegExp; message: RegExp }> = [
          { send: '{"id": 1, "type": "jo', code: 'bad-request', message: /JSON/ },
          { send: Buffer.from('{"id":1,"type":"ping"}'), code: 'bad-request', message: /binary frames/ },
          { send: '"just a string"', code: 'bad-request', message: /JSON object with a "type"/ },
          { send: '{"type":"ping"}', code: 'bad-request', message: /numeric "id"/ },
          { send: '{"id":"7","type":"ping"}', code: 'bad-request', message: /numeric "id"/ },
          {
            send: '{"id":2,"type":"frobnicate"}',
            id: 2,
            code: 'bad-request',
            message: /unknown request type "frobnicate"/,
          },
          {
            send: '{"id":3,"type":"subscribe","streamId":"x"}',
            id: 3,
            code: 'forbidden',
            message: /join a room first/,
          },
          { send: '{"id":4,"type":"join","name":"n"}', id: 4, code: 'bad-request', message: /"room"/ },
          {
            send: '{"id":5,"type":"join","room":{"a":1},"name":"n"}',
            id: 5,
            code: 'bad-request',
            message: /"room"/,
          },
          {
            send: `{"id":6,"type":"join","room":"${WS_ROOM}"}`,
            id: 6,
            code: 'bad-request',
            message: /"name"/,
          },
          {
            send: '{"id":7,"type":"join","room":"../x","name":"n"}',
            id: 7,
            code: /^bad-(request|room-name)$/,
            message: /room name/,
          },
        ];
        for (const kase of cases) {
          const response = await ws.request(kase.send, kase.id ?? -1);
          assert.equal(response.ok, false, `${String(kase.send)} was accepted`);
          if (typeof kase.code === 'string')
            assert.equal(response.error.code, kase.code, `${String(kase.send)}: ${response.error.message}`);
          else assert.match(response.error.code, kase.code, String(kase.send));
          assert.match(response.error.message, kase.message, String(kase.send));
        }
        const undefinedRoom = await api(ctx.cluster, 'GET', '/api/v1/rooms/undefined');
        assert.equal(undefinedRoom.status, 404, 'a join without a room name created a room "undefined"');

        const joined = await ws.request(`{"id":10,"type":"join","room":"${WS_ROOM}","name":"probe"}`, 10);
        assert.equal(joined.ok, true, JSON.stringify(joined));
        const afterJoin: Array<{ send: string; id: number; code: string; message: RegExp }> = [
          {
            send: `{"id":11,"type":"join","room":"${WS_ROOM}","name":"again"}`,
            id: 11,
            code: 'conflict',
            message: /already joined/,
          },
          {
            send: '{"id":12,"type":"frobnicate"}',
            id: 12,
            code: 'bad-request',
            message: /unknown request type "frobnicate"/,
          },
          {
            send: '{"id":13,"type":"publish","kind":"hologram"}',
            id: 13,
            code: 'bad-request',
            message: /camera or screen/,
          },
          {
            send: '{"id":14,"type":"subscribe","streamId":"nope"}',
            id: 14,
            code: 'not-found',
            message: /no stream nope/,
          },
          {
            send: '{"id":15,"type":"subscribe","streamId":{"$gt":""}}',
            id: 15,
            code: 'bad-request',
            message: /"streamId"/,
          },
          { send: '{"id":16,"type":"unpublish"}', id: 16, code: 'bad-request', message: /"streamId"/ },
          { send: '{"id":17,"type":"chat","text":42}', id: 17, code: 'bad-request', message: /text/ },
          {
            send: `{"id":18,"type":"chat","text":"${'c'.repeat(5000)}"}`,
            id: 18,
            code: 'bad-request',
            message: /longer than/,
          },
        ];
        for (const kase of afterJoin) {
          const response = await ws.request(kase.send, kase.id);
          assert.equal(response.ok, false, `${kase.send.slice(0, 80)} was accepted`);
          assert.equal(
            response.error.code,
            kase.code,
            `${kase.send.slice(0, 80)}: ${response.error.message}`,
          );
          assert.match(response.error.message, kase.message);
        }
        const pong = await ws.request('{"id":20,"type":"ping"}', 20);
        assert.equal(pong.ok, true, 'the socket stopped working after bad messages');
      } finally {
        ws.close();
      }
    });

    it('1009: a frame over 16 kB closes only that socket', async () => {
      const ws = await SignallingProbe.open();
      const closed = new Promise<number>((resolve) => ws.socket.once('close', (code) => resolve(code)));
      ws.socket.send(JSON.stringify({ id: 1, type: 'chat', text: 'x'.repeat(100_000) }));
      assert.equal(await closed, 1009);
      const fresh = await SignallingProbe.open();
      try {
        assert.equal((await fresh.request('{"id":1,"type":"ping"}', 1)).ok, true);
      } finally {
        fresh.close();
      }
    });
  });

  describe('requests the HTTP parser refuses (controller and node)', () => {
    const RAW_CASES: Array<{ name: string; request: string; status: number; message: RegExp }> = [
      {
        name: 'a request line that is not HTTP',
        request: 'HELLO WORLD\r\n\r\n',
        status: 400,
        message: /malformed HTTP request/,
      },
      {
        name: 'a 40 kB header',
        request: `GET /health HTTP/1.1\r\nHost: x\r\nX-Junk: ${'j'.repeat(40_000)}\r\n\r\n`,
        status: 431,
        message: /headers are larger/,
      },
      {
        name: 'a non-numeric Content-Length',
        request: 'POST /api/v1/publish HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
        status: 400,
        message: /malformed HTTP request/,
      },
    ];
    for (const kase of RAW_CASES) {
      it(`${kase.status}: ${kase.name}`, async () => {
        for (const base of [ctx.controllerUrl, ctx.nodeUrl]) {
          const { status, headers, body } = await rawHttp(base, kase.request);
          assert.equal(status, kase.status, `${base}: ${body}`);
          assert.match(headers, /content-type: application\/json/i);
          const parsed = JSON.parse(body) as { error: { code: string; message: string } };
          assert.match(parsed.error.message, kase.message);
        }
      });
    }
  });

  describe('node WHIP/WHEP: authorization, routing, content type, size, method', () => {
    for (const kase of NODE_AUTH_CASES) it(`${kase.status}: ${kase.name}`, () => expectHttpError(kase));

    it('409: WHEP before the stream has a publisher', () =>
      expectHttpError({
        name: 'WHEP before publish',
        request: (c) => ({
          method: 'POST',
          url: whep(c, c.spare.streamId, c.spare.nodeUrl),
          headers: sdpHeaders(mint({ room: OTHER_ROOM, streamId: c.spare.streamId, role: 'subscribe' })),
          body: offer('recvonly'),
        }),
        status: 409,
        code: 'conflict',
        message: /no publisher yet/,
      }));
  });

  describe('node WHIP/WHEP: malformed and hostile SDP', () => {
    it('201: the unmutated offers are accepted (so each case below fails for its own reason)', async () => {
      const whepResponse = await fetch(whep(ctx), {
        method: 'POST',
        headers: sdpHeaders(ctx.subscribeToken),
        body: offer('recvonly'),
      });
      assert.equal(whepResponse.status, 201, await whepResponse.text());
      const location = new URL(whepResponse.headers.get('location')!, whep(ctx)).toString();
      const deleted = await fetch(location, { method: 'DELETE', headers: bearer(ctx.subscribeToken) });
      assert.equal(deleted.status, 200, await deleted.text());

      // WHIP on the spare stream, whose publisher never connects: the healthy publisher is not replaced.
      const whipResponse = await fetch(whip(ctx, ctx.spare.streamId, ctx.spare.nodeUrl), {
        method: 'POST',
        headers: sdpHeaders(ctx.spare.publishToken),
        body: offer('sendonly'),
      });
      const spareAnswer = await whipResponse.text();
      assert.equal(whipResponse.status, 201, spareAnswer);
      ctx.mediaPorts.add(candidatePort(spareAnswer));
      ctx.spare.publisherResource = new URL(
        whipResponse.headers.get('location')!,
        ctx.spare.nodeUrl,
      ).toString();
      leftovers.push({ url: ctx.spare.publisherResource, token: ctx.spare.publishToken });
    });

    for (const kase of SDP_CASES) {
      it(`${kase.status ?? 400}: ${kase.endpoint.toUpperCase()} with ${kase.name}`, () =>
        expectHttpError({
          name: kase.name,
          request: (c) => (kase.endpoint === 'whip' ? postWhip(c, kase.body()) : postWhep(c, kase.body())),
          status: kase.status ?? 400,
          code: 'bad-sdp',
          message: kase.message,
        }));
    }
  });

  describe('node WHIP/WHEP: PATCH and DELETE of resources', () => {
    for (const kase of RESOURCE_CASES) it(`${kase.status}: ${kase.name}`, () => expectHttpError(kase));

    // On the spare stream: a resource is known only at its own endpoint.
    it('404: DELETE a WHEP resource through the WHIP endpoint', async () => {
      const subscribeToken = mint({ room: OTHER_ROOM, streamId: ctx.spare.streamId, role: 'subscribe' });
      const subscribed = await fetch(whep(ctx, ctx.spare.streamId, ctx.spare.nodeUrl), {
        method: 'POST',
        headers: sdpHeaders(subscribeToken),
        body: offer('recvonly'),
      });
      assert.equal(subscribed.status, 201, await subscribed.text());
      const resourceId = subscribed.headers.get('location')!.split('/').pop();
      leftovers.unshift({
        url: `${whep(ctx, ctx.spare.streamId, ctx.spare.nodeUrl)}/${resourceId}`,
        token: subscribeToken,
      });
      await expectHttpError({
        name: 'DELETE a WHEP resource through WHIP',
        request: (c) => ({
          method: 'DELETE',
          url: `${whip(c, c.spare.streamId, c.spare.nodeUrl)}/${resourceId}`,
          headers: bearer(c.spare.publishToken),
        }),
        status: 404,
        message: /no such WHIP/,
      });
    });

    it('404: DELETE the WHIP resource through the WHEP endpoint', () =>
      expectHttpError({
        name: 'DELETE the WHIP resource through WHEP',
        request: (c) => ({
          method: 'DELETE',
          url: `${whep(c, c.spare.streamId, c.spare.nodeUrl)}/${c.spare.publisherResource!.split('/').pop()}`,
          headers: bearer(mint({ room: OTHER_ROOM, streamId: c.spare.streamId, role: 'subscribe' })),
        }),
        status: 404,
        message: /no such WHEP/,
      }));
  });

  describe('media ports: garbage datagrams are dropped', () => {
    it('drops random bytes, truncated STUN, fake DTLS and RTP from unknown addresses without answering', async (t) => {
      t.diagnostic(`worker media ports: ${[...ctx.mediaPorts].join(', ')}`);
      const socket = await udpSocket();
      try {
        for (const port of ctx.mediaPorts) {
          const replies = await fire(
            socket,
            [
              ...garbage(),
              ...truncatedStun(ctx.viewerIce),
              ...fakeDtls(),
              ...fakeRtp(),
              bindingRequest(ctx.viewerIce, { ufrag: 'nosuchufrag' }),
            ],
            150,
            port,
          );
          assert.deepEqual(
            replies.map((r) => r.toString('hex').slice(0, 16)),
            [],
            `the worker on port ${port} answered garbage`,
          );
        }
      } finally {
        socket.close();
      }
    });

    it('answers a check with a bad MESSAGE-INTEGRITY with a STUN 401 and binds nothing', async () => {
      const socket = await udpSocket();
      try {
        const replies = await fire(socket, [
          bindingRequest(ctx.viewerIce, { key: 'wrong-password-xxxxxxxx' }),
        ]);
        assert.equal(replies.length, 1);
        const response = isStunResponse(replies[0]!, StunClass.ErrorResponse);
        assert.equal(response?.errorCode?.code, 401);
        // Not bound: what follows from this address is still dropped unanswered.
        assert.deepEqual(await fire(socket, fakeRtp()), []);
      } finally {
        socket.close();
      }
    });

    for (const leg of ['viewer', 'publisher'] as const) {
      it(`drops junk DTLS and SRTP that reaches the ${leg}'s session from an authenticated extra address`, async () => {
        // What a spoofed datagram from the peer's own address would do, made possible without spoofing:
        // a valid check (no USE-CANDIDATE) binds a second tuple to the session without moving its media.
        const ice = leg === 'viewer' ? ctx.viewerIce : ctx.publisherIce;
        const socket = await udpSocket();
        try {
          const replies = await fire(socket, [bindingRequest(ice)]);
          assert.ok(
            replies.some((r) => isStunResponse(r, StunClass.SuccessResponse)),
            'the check was not answered',
          );
          const before = received.video;
          const junk = await fire(socket, [...fakeDtls(), ...fakeRtp(), ...garbage()], 300);
          assert.deepEqual(
            junk.filter((r) => !isStunResponse(r, StunClass.SuccessResponse)).map((r) => r.length),
            [],
            'the server sent something other than STUN to an unselected address',
          );
          await waitFor(`${leg} media still flowing`, () => received.video > before + 10 || undefined, 3_000);
        } finally {
          socket.close();
        }
      });
    }
  });

  describe('afterwards', () => {
    it('kept the viewer receiving media the whole time, with every process alive and healthy', async (t) => {
      clearInterval(sampler);
      const last = received.video;
      await waitFor('more media', () => received.video > last + 10 || undefined, 3_000);
      assert.ok(samples.length > 20, 'too few samples');
      let longestStall = 0;
      let lastChange = samples[0]!;
      for (const sample of samples) {
        if (sample.video !== lastChange.video) {
          longestStall = Math.max(longestStall, sample.at - lastChange.at);
          lastChange = sample;
        }
      }
      longestStall = Math.max(longestStall, samples.at(-1)!.at - lastChange.at);
      t.diagnostic(`${received.video} video packets received; longest gap ${longestStall} ms`);
      assert.ok(longestStall < MAX_MEDIA_STALL_MS, `video stalled for ${longestStall} ms`);
      assert.ok(received.audio > 50, 'audio stopped');

      const pids = ctx.cluster.nodes.flatMap((n) => n.workerPids);
      assert.deepEqual(pids.sort(), [...workerPids].sort(), 'a worker died and was respawned');
      for (const pid of pids) assert.ok(processAlive(pid), `worker ${pid} died`);

      for (const url of [ctx.controllerUrl, ...ctx.cluster.nodes.map((n) => n.url)]) {
        const health = await fetch(`${url}/health`);
        assert.equal(health.status, 200);
        assert.deepEqual(await health.json(), { ok: true });
      }
      const room = await api<RoomView>(ctx.cluster, 'GET', `/api/v1/rooms/${ROOM}`);
      assert.equal(room.body.streams.length, 1, 'the healthy stream is gone');
      const nodes = await api<{ nodes: unknown[] }>(ctx.cluster, 'GET', '/api/v1/nodes');
      assert.equal(nodes.body.nodes.length, 2);
    });
  });
});

/** Sends bytes no HTTP client would, and reads the answer until the server closes. */
async function rawHttp(
  base: string,
  request: string,
): Promise<{ status: number; headers: string; body: string }> {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname === 'localhost' ? '127.0.0.1' : url.hostname);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => socket.write(request));
    socket.once('close', () => resolve());
    socket.once('error', reject);
    socket.setTimeout(3_000, () => reject(new Error('no answer')));
  });
  const text = Buffer.concat(chunks).toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
    headers: text.slice(0, split),
    body: text.slice(split + 4),
  };
}

/** A raw signalling socket that matches responses by id (-1 for the ones the server could not attribute). */
class SignallingProbe {
  readonly socket: WebSocket;
  readonly #waiting = new Map<number, (message: Extract<ServerMessage, { type: 'response' }>) => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      if (message.type !== 'response') return;
      const resolve = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      resolve?.(message);
    });
  }

  static async open(): Promise<SignallingProbe> {
    const socket = new WebSocket(`${ctx.controllerUrl.replace('http', 'ws')}/ws`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new SignallingProbe(socket);
  }

  request(
    data: string | Buffer,
    id: number,
  ): Promise<{ ok: boolean; error: { code: string; message: string }; data?: unknown }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response to ${String(data).slice(0, 80)}`)), 3_000);
      this.#waiting.set(id, (message) => {
        clearTimeout(timer);
        resolve(message as never);
      });
      this.socket.send(data, { binary: Buffer.isBuffer(data) });
    });
  }

  close(): void {
    this.socket.close();
  }
}
