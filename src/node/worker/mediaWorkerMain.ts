/**
 * Entry point of a media worker process (forked by the node agent's WorkerPool). It hosts OTMs and
 * answers the agent over IPC; it dies with its parent.
 */
import { Logger, type LogLevel } from '../../log/Logger.ts';
import { DtlsCertificate } from '../../media/dtls/DtlsCertificate.ts';
import { UdpMux } from '../../media/ice/UdpMux.ts';
import { MediaWorker, toErrorBody } from './MediaWorker.ts';
import type { AgentToWorker, WorkerStartOptions, WorkerToAgent } from './workerProtocol.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as WorkerStartOptions;
const log = new Logger(
  { level: options.logLevel as LogLevel, format: 'pretty' },
  { component: `worker-${options.index}` },
);
const send = (message: WorkerToAgent) => {
  if (process.connected) process.send?.(message);
};

const mux = await UdpMux.bind({
  listenIp: options.listenIp,
  announcedIp: options.announcedIp,
  portRange: options.portRange,
  recvBufferBytes: options.udpBufferBytes,
  sendBufferBytes: options.udpBufferBytes,
});
const worker = new MediaWorker(
  mux,
  await DtlsCertificate.generate(),
  options,
  (body) => send({ kind: 'event', body }),
  log,
);

process.on('message', (message: AgentToWorker) => {
  if (message?.kind !== 'request') return;
  try {
    send({ kind: 'reply', id: message.id, ok: true, result: worker.handle(message.body) });
  } catch (error) {
    const body = toErrorBody(error);
    if (body.code === 'internal') log.error('worker request failed', { op: message.body.op, error });
    send({ kind: 'reply', id: message.id, ok: false, error: body });
  }
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await worker.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', () => {
  // The agent decides when workers stop; a terminal's Ctrl-C reaches the whole process group.
});
process.on('disconnect', stop);
process.on('uncaughtException', (error) => {
  log.error('uncaught exception in media worker', { error });
  process.exit(70);
});

send({ kind: 'ready', udpPort: mux.localPort });
