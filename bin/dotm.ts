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
import { NODE_CLI_HELP, NODE_SUBCOMMANDS, runNodeCli } from '../src/controller/nodeCli.ts';
import { Logger } from '../src/log/Logger.ts';
import {
  bbbSecretLines,
  defaultTenantSecretLines,
  ensureDefaultTenant,
} from '../src/portal/defaultTenant.ts';
import { runTenantCli, TENANT_HELP } from '../src/portal/tenantCli.ts';
import { startClusterController, startClusterNode } from '../src/start/clusterMode.ts';
import { EmbeddedCluster } from '../src/start/EmbeddedCluster.ts';
import { openConfiguredDatabase } from '../src/start/portalSetup.ts';

const HELP: Record<string, string> = {
  main: `Usage: dotm <command> [options]

Commands:
  start        Run the whole system on this machine: a controller and media nodes
               (two by default) with in-memory cluster state. Prints the meeting URL.
  controller   Run a controller of a multi-machine cluster (needs cluster.state=redis).
  node         Run a media node of a multi-machine cluster (needs cluster.state=redis);
               "dotm node list|drain|undrain" operate nodes through a controller.
  secret       Print the BigBlueButton API URL and secret to configure a portal or LMS
               with (like "bbb-conf --secret").
  tenant       List, add, update or remove tenants (institutions): their secrets,
               hostnames, region, presets and theme.
  meeting      List the meetings running anywhere in the cluster, or end one
               ("dotm meeting list|end", through a controller's admin API).

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
  secret: `Usage: dotm secret [options]

Prints the BigBlueButton-compatible API's URL and the default tenant's shared secret, in the form
of "bbb-conf --secret", for a portal, Moodle or Greenlight. Reads the configured database (the
embedded one by default) and creates the default tenant if no start has yet.

Options:
  --config <file>      JSON configuration file (shape of src/config/reference.ts)
  --port <n>           the controller's port, for the URL (default 8080)
  --public-url <url>   how portals reach the controller (default http://localhost:<port>)
  -h, --help           this help`,
  tenant: TENANT_HELP.tenant!,
  controller: `Usage: dotm controller [options]

Runs one controller of a multi-machine cluster. Needs a Redis server shared by every controller
and node, the cluster secret in the environment, and at least one API key:

  DOTM_CLUSTER_STATE=redis DOTM_CLUSTER_SECRET=<long random> DOTM_CONTROLLER_API_KEYS=<key> \\
    dotm controller --redis-url redis://10.0.0.5:6379 --port 8080

Options:
  --config <file>      JSON configuration file (shape of src/config/reference.ts)
  --redis-url <url>    redis://[:password@]host:port[/db] (cluster.redisUrl)
  --port <n>           HTTP port for the meeting page, API and signalling (default 8080)
  --listen-host <ip>   address the HTTP server binds to (default 0.0.0.0)
  --public-url <url>   how clients reach this controller (default http://localhost:<port>)
  --internal-url <url> how the other controllers reach this one (default http://<listen host>:<port>)
  --log-level <l>      debug | info | warn | error (default info)
  --log-format <f>     pretty | json (default pretty)
  -h, --help           this help`,
  node: `Usage: dotm node [options]

Runs one media node of a multi-machine cluster: it registers itself in Redis, heartbeats its load
and hosts the OTMs the controllers place on it.

  DOTM_CLUSTER_STATE=redis DOTM_CLUSTER_SECRET=<the same secret> \\
    dotm node --redis-url redis://10.0.0.5:6379 --node-id media-1 --announced-ip 203.0.113.7

Options:
  --config <file>        JSON configuration file (shape of src/config/reference.ts)
  --redis-url <url>      redis://[:password@]host:port[/db] (cluster.redisUrl)
  --node-id <id>         unique in the cluster (default <hostname>-<port>)
  --region <name>        where the node is; placement prefers the publisher's region
  --port <n>             HTTP port of the WHIP/WHEP endpoints (default: a free one)
  --listen-host <ip>     address the HTTP server binds to (default 0.0.0.0)
  --public-url <url>     how clients reach this node's HTTP endpoints
  --workers <n>          media worker processes (default: one per core)
  --announced-ip <ip>    address put in ICE candidates (default: the RTC listen IP)
  --rtc-listen-ip <ip>   address the media sockets bind to (default 127.0.0.1)
  --log-level <l>        debug | info | warn | error (default info)
  --log-format <f>       pretty | json (default pretty)
  -h, --help             this help

${NODE_CLI_HELP}`,
};

const COMMON_FLAGS = ['log-level', 'log-format'];
const ALLOWED_FLAGS: Record<string, string[]> = {
  start: [...COMMON_FLAGS, 'port', 'nodes', 'workers', 'announced-ip', 'rtc-listen-ip'],
  controller: [...COMMON_FLAGS, 'port', 'redis-url', 'listen-host', 'public-url', 'internal-url'],
  secret: ['port', 'public-url'],
  node: [
    ...COMMON_FLAGS,
    'port',
    'redis-url',
    'node-id',
    'region',
    'listen-host',
    'public-url',
    'workers',
    'announced-ip',
    'rtc-listen-ip',
  ],
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${HELP.main}\n`);
    return command ? 0 : 2;
  }
  if (command === 'meeting') return (await import('../src/portal/meetingCli.ts')).meetingCommand(rest);
  if (!(command in HELP) || command === 'main') {
    process.stderr.write(`dotm: unknown command "${command}"\n\n${HELP.main}\n`);
    return 2;
  }
  if (command === 'tenant') return tenantCommand(rest);
  if (command === 'node' && rest[0] !== undefined && NODE_SUBCOMMANDS.has(rest[0])) {
    return runNodeCli(rest, {
      env: process.env,
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    });
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
  let config: DotmConfig;
  try {
    config = loadConfig({ file: parsed.values.config, overrides: overridesFrom(command, parsed.values) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`dotm: configuration error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const log = new Logger({ level: config.log.level, format: config.log.format }, {});
  if (command === 'secret') return printSecret(config);
  if (command === 'controller') return runUntilSignal(log, await startClusterController(config, log));
  if (command === 'node') return runUntilSignal(log, await startClusterNode(config, log));
  const cluster = await EmbeddedCluster.start(config, log);
  const url = cluster.controller.url;
  const portalLines = config.portal.enabled
    ? await defaultTenantSecretLines(cluster.database, url)
    : undefined;
  process.stdout.write(
    [
      '',
      `  dotm is running: a controller and ${cluster.nodes.length} media nodes.`,
      '',
      `  Meeting page:  ${url}/`,
      `  API key:       ${cluster.apiKey}   (for ${url}/api/v1/...)`,
      `  Metrics:       ${url}/metrics`,
      ...(config.stats.enabled ? [`  Dashboard:     ${url}/dashboard   (sign in with the API key)`] : []),
      ...(portalLines
        ? ['', '  BigBlueButton API for portals and LMSes (also: dotm secret):', portalLines]
        : []),
      '',
      '  Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  return runUntilSignal(log, cluster);
}

async function printSecret(config: DotmConfig): Promise<number> {
  if (!config.portal.enabled) {
    process.stderr.write('dotm secret: the BigBlueButton API is disabled (portal.enabled = false)\n');
    return 1;
  }
  const db = await openConfiguredDatabase(config);
  try {
    const { tenant } = await ensureDefaultTenant(db, { secret: config.portal.defaultSecret || undefined });
    const publicUrl = config.controller.publicUrl || `http://localhost:${config.controller.port}`;
    process.stdout.write(`${bbbSecretLines(publicUrl, tenant.secrets[0]!)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

/** `dotm tenant …` has subcommands with options of their own (src/portal/tenantCli.ts). */
function tenantCommand(args: string[]): Promise<number> {
  return runTenantCli(args, {
    openDatabase: async (file) => {
      const config = loadConfig({ file });
      if (!config.portal.enabled)
        throw new ConfigError('the BigBlueButton API is disabled (portal.enabled = false)');
      return {
        db: await openConfiguredDatabase(config),
        publicUrl: config.controller.publicUrl || `http://localhost:${config.controller.port}`,
        defaultSecret: config.portal.defaultSecret,
      };
    },
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
}

async function runUntilSignal(log: Logger, running: { close(): Promise<void> }): Promise<number> {
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info('shutting down');
  await running.close();
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
      'redis-url': { type: 'string' },
      'node-id': { type: 'string' },
      region: { type: 'string' },
      'listen-host': { type: 'string' },
      'public-url': { type: 'string' },
      'internal-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function overridesFrom(
  command: string,
  values: ReturnType<typeof parseCommandArgs>['values'],
): DeepPartial<DotmConfig> {
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
  const role = command === 'node' ? 'node' : 'controller';
  const allowed = ALLOWED_FLAGS[command] ?? [];
  for (const [flag, value] of Object.entries(values)) {
    if (value !== undefined && flag !== 'help' && flag !== 'config' && !allowed.includes(flag))
      throw new ConfigError(`--${flag} is not an option of "dotm ${command}" (see --help)`);
  }
  set(role, 'port', number('port', values.port));
  set(role, 'listenHost', values['listen-host']);
  set(role, 'publicUrl', values['public-url']);
  set('controller', 'internalUrl', values['internal-url']);
  set('cluster', 'redisUrl', values['redis-url']);
  set('node', 'id', values['node-id']);
  set('node', 'region', values.region);
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
