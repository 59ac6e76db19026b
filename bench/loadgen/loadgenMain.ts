/**
 * Entry of a load-generator process (forked by LoadgenProcess): its own process so that its CPU never
 * lands in the server's accounting. Answers the orchestrator's requests over IPC; exits on `close`
 * or when the orchestrator goes away.
 */
import { JanusSignalling } from '../janus/JanusSignalling.ts';
import { DotmSignalling } from './DotmSignalling.ts';
import { LoadGenerator } from './LoadGenerator.ts';
import type { LoadgenEnvelope, LoadgenMessage, LoadgenRequest } from './loadgenProtocol.ts';
import { runLimited } from './runLimited.ts';

let generator: LoadGenerator | undefined;

async function handle(request: LoadgenRequest): Promise<unknown> {
  switch (request.op) {
    case 'init': {
      const target = request.target;
      const signalling =
        target.kind === 'dotm'
          ? new DotmSignalling(target.controllerUrl, target.apiKey, target.room)
          : new JanusSignalling(target.url, target.room);
      generator = await LoadGenerator.start(request.options, signalling);
      return {};
    }
    case 'publish': {
      const streamIds = await runLimited(request.participants, request.concurrency, (participant) =>
        running().publish(participant),
      );
      return { streamIds };
    }
    case 'subscribe':
      await runLimited(request.pairs, request.concurrency, (pair) =>
        running().subscribe(pair.participant, pair.streamId),
      );
      return {};
    case 'stats':
      return running().stats();
    case 'resetEventLoop':
      running().resetEventLoop();
      return {};
    case 'close':
      await generator?.close();
      generator = undefined;
      setTimeout(() => process.exit(0), 50);
      return {};
  }
}

function running(): LoadGenerator {
  if (!generator) throw new Error('load generator not initialised');
  return generator;
}

process.on('message', (envelope: LoadgenEnvelope) => {
  handle(envelope.body).then(
    (result) => reply({ kind: 'reply', id: envelope.id, ok: true, result }),
    (error: unknown) =>
      reply({
        kind: 'reply',
        id: envelope.id,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});

// werift's DTLS client rejects promises nobody awaits when a peer retransmits a flight (e.g. a second
// HelloVerifyRequest under load); the negotiation then times out and is retried: do not die for it.
let strayRejections = 0;
process.on('unhandledRejection', (reason) => {
  if (strayRejections++ === 0) {
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    process.stderr.write(
      `load generator: unhandled rejection (only the first is shown): ${text.split('\n').slice(0, 3).join(' | ')}\n`,
    );
  }
});

process.on('disconnect', () => {
  const closing = generator?.close() ?? Promise.resolve();
  closing.finally(() => process.exit(0));
});

function reply(message: LoadgenMessage): void {
  if (process.connected) process.send?.(message);
}
