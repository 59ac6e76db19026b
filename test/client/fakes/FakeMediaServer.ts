import type { FetchLike } from '../../../src/client/WebRtcHttpSession.ts';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  keepalive: boolean | undefined;
}

export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export type Route = (request: RecordedRequest) => FakeReply | Promise<FakeReply> | undefined;

/**
 * A WHIP/WHEP endpoint behind an injected fetch: answers POST with 201 + SDP answer + relative
 * Location + ETag, PATCH with 200 + sdpfrag, DELETE with 200. `override` scripts anything else.
 */
export class FakeMediaServer {
  readonly requests: RecordedRequest[] = [];
  /** Tried first; returning undefined falls through to the default behaviour. */
  override: Route | undefined;
  #resources = 0;
  #restarts = 0;

  readonly fetch: FetchLike = async (input, init) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const request: RecordedRequest = {
      method: init.method ?? 'GET',
      url: input,
      headers,
      body: typeof init.body === 'string' ? init.body : undefined,
      keepalive: init.keepalive,
    };
    this.requests.push(request);
    const signal = init.signal;
    if (signal?.aborted) throw signal.reason;
    const replying = Promise.resolve(this.override?.(request)).then(
      (reply) => reply ?? this.#defaultReply(request),
    );
    // Like fetch: an abort (timeout, close) rejects with the signal's reason.
    const reply = await new Promise<FakeReply>((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      replying.then(resolve, reject);
    });
    return {
      ok: reply.status >= 200 && reply.status < 300,
      status: reply.status,
      statusText: '',
      headers: new Headers(reply.headers),
      url: '',
      text: async () => reply.body ?? '',
    } as unknown as Response;
  };

  requestsBy(method: string): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method);
  }

  #defaultReply(request: RecordedRequest): FakeReply {
    switch (request.method) {
      case 'POST': {
        const id = ++this.#resources;
        return {
          status: 201,
          headers: { Location: `resource/${id}`, ETag: `"r${id}-0"`, 'Content-Type': 'application/sdp' },
          body: answerFor(request.body ?? ''),
        };
      }
      case 'PATCH': {
        const n = ++this.#restarts;
        return {
          status: 200,
          headers: { ETag: `"restart-${n}"`, 'Content-Type': 'application/trickle-ice-sdpfrag' },
          body: [
            'a=ice-lite',
            `a=ice-ufrag:srvR${n}`,
            `a=ice-pwd:serverRestartPassword${n}xxxxxx`,
            'm=audio 9 UDP/TLS/RTP/SAVPF 0',
            'a=mid:0',
            `a=candidate:1 1 udp 2130706431 198.51.100.${n} 40000 typ host`,
            'a=end-of-candidates',
            '',
          ].join('\r\n'),
        };
      }
      default:
        return { status: 200 };
    }
  }
}

/** A minimal ICE-lite answer mirroring the offer's m-lines. */
export function answerFor(offer: string): string {
  const sections = offer.split(/\r\n(?=m=)/).slice(1);
  const mids = sections.map((section) => /a=mid:(\S+)/.exec(section)?.[1] ?? '0');
  const lines = [
    'v=0',
    'o=- 1 1 IN IP4 198.51.100.1',
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=group:BUNDLE ${mids.join(' ')}`,
  ];
  sections.forEach((section, index) => {
    const audio = section.startsWith('m=audio');
    const direction = section.includes('a=sendonly') ? 'recvonly' : 'sendonly';
    lines.push(
      audio ? 'm=audio 9 UDP/TLS/RTP/SAVPF 111' : 'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'c=IN IP4 198.51.100.1',
      `a=mid:${mids[index]}`,
      'a=ice-ufrag:srv0',
      'a=ice-pwd:serverInitialPasswordxxxxxx',
      'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
      'a=setup:passive',
      `a=${direction}`,
      'a=rtcp-mux',
      audio ? 'a=rtpmap:111 opus/48000/2' : 'a=rtpmap:96 VP8/90000',
      'a=candidate:1 1 udp 2130706431 198.51.100.1 40000 typ host',
      'a=end-of-candidates',
    );
  });
  return `${lines.join('\r\n')}\r\n`;
}
