import type { LoadGeneratorOptions, LoadStats } from './LoadGenerator.ts';

/** Which server the load generator talks to, and how. */
export type LoadTarget =
  | { kind: 'dotm'; controllerUrl: string; apiKey: string; room: string }
  | { kind: 'janus'; url: string; room: number };

export type LoadgenRequest =
  | { op: 'init'; target: LoadTarget; options: LoadGeneratorOptions }
  | { op: 'publish'; participants: string[]; concurrency: number }
  | { op: 'subscribe'; pairs: Array<{ participant: string; streamId: string }>; concurrency: number }
  | { op: 'stats' }
  | { op: 'resetEventLoop' }
  | { op: 'close' };

export interface LoadgenReplyMap {
  init: Record<string, never>;
  publish: { streamIds: string[] };
  subscribe: Record<string, never>;
  stats: LoadStats;
  resetEventLoop: Record<string, never>;
  close: Record<string, never>;
}

export type LoadgenMessage =
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; error: string };

export interface LoadgenEnvelope {
  id: number;
  body: LoadgenRequest;
}
