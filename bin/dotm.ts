#!/usr/bin/env node
/**
 * dotm — one binary, several roles:
 *   dotm start        controller + media nodes in one process (the embedded default)
 *   dotm controller   a controller of a multi-machine cluster
 *   dotm node         a media node of a multi-machine cluster
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../src/config/ConfigError.ts';
import type { DeepPartial, DotmConfig } from '../src/config/DotmConfig.ts';
import { loadConfig } from '../src/config/loadConfig.ts';
import { Logger } from '../src/log/Logger.ts';
import { EmbeddedCluster } from '../src/start/EmbeddedCluster.ts';

const HELP: Record<string, string> = {
  main: `Usage: dotm <command> [options]

Commands:
  start        Run the whole system on this machine: a controller and media nodes
               (two by default) with in-memory cluster state. Prints the meeting URL.
  controller   Run a controller of a multi-machine cluster (needs cluster.state=redis).
  node         Run a media node of a multi-machine cluster (needs cluster.state=redis).

Run "dotm <command> --help" for the options of a command.
Every setting is documented in src/config/reference.ts and can also be set as
DOTM_<SECTION>_<KEY> in the environment (e.g. DOTM_CONTROLLER_PORT=8080).`,
  start: `Usage: dotm start [options]

Starts a controller and media nodes in one process, on the embedded default.

Options:
  --config <file>    JSON configuration file (shape of src/config/reference.ts)
  --port <n>         controller HTTP port (default 8080; 0 picks a free one)
  --nodes <n>        media nodes to run (default 2)
  --workers <n>      media worker processes per node (default: one per core)
  --announced-ip <ip>  address put in ICE candidates (default: the listen IP, 127.0.0.1)
  --rtc-listen-ip <ip> address the media sockets bind to (default 127.0.0.1)
  --log-level <l>    debug | info | warn | error (default info)
  --log-format <f>   pretty | json (default pretty)
  -h, --help         this help`,
  controller: `Usage: dotm controller [options]

Cluster mode (Redis-backed state) is not available in this version; use "dotm start".`,
  node: `Usage: dotm node [options]

Cluster mode (Redis-backed state) is not available in this version; use "dotm start".`,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${HELP.main}\n`);
    return command ? 0 : 2;
  }
  if (!(command in HELP) || command === 'main') {
    process.stderr.write(`dotm: unknown command "${command}"\n\n${HELP.main}\n`);
    return 2;
  }
  let parsed: ReturnType<typeof parseCommandArgs>;
  try {
    parsed = parseCommandArgs(rest);
  } catch (error) {
    process.stderr.write(`dotm ${command}: ${(error as Error).message}\n\n${HELP[command]}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${HELP[command]}\n`);
    return 0;
  }
  if (command !== 'start') {
    process.stderr.write(`${HELP[command]}\n`);
    return 2;
  }
  let config: DotmConfig;
  try {
    config = loadConfig({ file: parsed.values.config, overrides: overridesFrom(parsed.values) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`dotm: configuration error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const log = new Logger({ level: config.log.level, format: config.log.format }, {});
  const cluster = await EmbeddedCluster.start(config, log);
  const url = cluster.controller.url;
  process.stdout.write(
    [
      '',
      `  dotm is running: a controller and ${cluster.nodes.length} media nodes.`,
      '',
      `  Meeting page:  ${url}/`,
      `  API key:       ${cluster.apiKey}   (for ${url}/api/v1/...)`,
      `  Metrics:       ${url}/metrics`,
      '',
      '  Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info('shutting down');
  await cluster.close();
  return 0;
}

function parseCommandArgs(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      nodes: { type: 'string' },
      workers: { type: 'string' },
      'announced-ip': { type: 'string' },
      'rtc-listen-ip': { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function overridesFrom(values: ReturnType<typeof parseCommandArgs>['values']): DeepPartial<DotmConfig> {
  const number = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < 0)
      throw new ConfigError(`--${flag} must be a whole number, got "${value}"`);
    return n;
  };
  const overrides: DeepPartial<DotmConfig> = {};
  const set = <S extends keyof DotmConfig>(section: S, key: keyof DotmConfig[S], value: unknown) => {
    if (value === undefined) return;
    overrides[section] = { ...(overrides[section] as object), [key]: value } as never;
  };
  set('controller', 'port', number('port', values.port));
  set('start', 'nodes', number('nodes', values.nodes));
  set('node', 'workers', number('workers', values.workers));
  set('node', 'rtcAnnouncedIp', values['announced-ip']);
  set('node', 'rtcListenIp', values['rtc-listen-ip']);
  set('log', 'level', values['log-level']);
  set('log', 'format', values['log-format']);
  return overrides;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`dotm: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`dotm: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
