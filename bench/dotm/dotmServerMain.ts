/**
 * The dotm side of the benchmark, in its own process: `dotm start`'s embedded system (controller and
 * `nodes` media nodes, each with `workers` worker processes) on free ports on loopback. Tells the
 * orchestrator its URL, API key and process ids over IPC; stops on request or when orphaned.
 */
import { loadConfig } from '../../src/config/loadConfig.ts';
import { Logger, type LogLevel, quietLogger } from '../../src/log/Logger.ts';
import { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';
import type { DotmServerMessage, DotmServerRequest, DotmServerStartOptions } from './dotmServerProtocol.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as DotmServerStartOptions;
const config = loadConfig({
  env: {},
  overrides: {
    controller: { port: 0, listenHost: '127.0.0.1' },
    node: {
      workers: options.workers,
      listenHost: options.mediaIp,
      rtcListenIp: options.mediaIp,
      // Placement's default capacity (25k packets/s per worker) would refuse publishes long before the
      // machine is busy; the benchmark wants to find the machine's limit, so it lifts it.
      maxPacketsPerSecond: 100_000_000,
    },
    start: { nodes: options.nodes },
  },
});
// DOTM_BENCH_LOG=debug|info|warn shows the server's log while debugging the benchmark itself.
const logLevel = process.env.DOTM_BENCH_LOG as LogLevel | undefined;
const cluster = await EmbeddedCluster.start(
  config,
  logLevel ? new Logger({ level: logLevel, format: 'pretty' }) : quietLogger(),
);

function send(message: DotmServerMessage): void {
  if (process.connected) process.send?.(message);
}

function status(): Extract<DotmServerMessage, { kind: 'status' }> {
  return {
    kind: 'status',
    serverPid: process.pid,
    nodes: cluster.nodes.map((node) => ({
      nodeId: node.nodeId,
      workerPids: node.workerPids,
      otms: node.otmCount,
      report: node.lastReport
        ? {
            packetsInPerSecond: node.lastReport.load.packetsInPerSecond,
            packetsOutPerSecond: node.lastReport.load.packetsOutPerSecond,
            bitrateOutBps: node.lastReport.load.bitrateOutBps,
            subscribers: node.lastReport.load.subscribers,
            otms: node.lastReport.load.otms,
            reportedAt: node.lastReport.reportedAt,
          }
        : undefined,
    })),
  };
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await cluster.close().catch(() => undefined);
  send({ kind: 'stopped' });
  setTimeout(() => process.exit(0), 50);
}

process.on('message', (request: DotmServerRequest) => {
  if (request.op === 'status') send(status());
  else if (request.op === 'stop') void stop();
});
process.on('disconnect', () => void stop());
process.on('SIGINT', () => {
  // The orchestrator decides when the server stops; Ctrl-C reaches the whole process group.
});
// The orchestrator may have gone while the cluster was starting (the 'disconnect' event came before
// the listener existed): do not live on as an orphan.
if (!process.connected) await stop();

send({
  kind: 'ready',
  controllerUrl: cluster.controller.url,
  apiKey: cluster.apiKey,
});
