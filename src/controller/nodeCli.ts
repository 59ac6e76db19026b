import { parseArgs } from 'node:util';
import { ADMIN_CLI_OPTIONS, ADMIN_TARGET_HELP, AdminClient } from '../cli/AdminClient.ts';
import { textTable } from '../cli/textTable.ts';
import type { DrainAnswer, NodeView } from './NodeDrainer.ts';

/** What `dotm node list|drain|undrain` needs from the binary. */
export interface NodeCliContext {
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  out: (text: string) => void;
  err: (text: string) => void;
  /** For --wait; tests shorten it. */
  pollMs?: number;
}

export const NODE_SUBCOMMANDS = new Set(['list', 'drain', 'undrain']);

const COMMON = `${ADMIN_TARGET_HELP}
  --json               print JSON instead of text
  -h, --help           this help`;

export const NODE_CLI_HELP = `Usage: dotm node <list|drain|undrain> [options]    (without a command: run a media node)

Operates the cluster's media nodes through a controller's admin API (/api/v1/nodes).

  dotm node list                 every live node: state (active, draining, drained), load, region, version
  dotm node drain <nodeId>       move every stream off the node (make-before-break, < 1 s media gap);
                                 it takes no new stream and reports "drained" once empty
  dotm node undrain <nodeId>     let the node take new streams again

Drain options:
  --reason <text>      shown in "dotm node list" (default "operator")
  --force              also remove streams of WHIP-only publishers (OBS, GStreamer), which
                       cannot be told to move; without it the node waits for them to end
  --wait               return once the node is drained (or after --timeout seconds, exit 1)
  --timeout <s>        for --wait (default 120)
${COMMON}`;

/** Runs `dotm node <subcommand> …`; resolves the exit code. */
export async function runNodeCli(args: string[], context: NodeCliContext): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    context.err(`dotm node: ${(error as Error).message}\n\n${NODE_CLI_HELP}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    context.out(`${NODE_CLI_HELP}\n`);
    return 0;
  }
  const [command, nodeId, ...extra] = positionals;
  if (
    !command ||
    !NODE_SUBCOMMANDS.has(command) ||
    extra.length > 0 ||
    (command !== 'list') !== (nodeId !== undefined)
  ) {
    context.err(`dotm node: say list, or drain/undrain and one node id\n\n${NODE_CLI_HELP}\n`);
    return 2;
  }
  const admin = AdminClient.fromFlags(values, context.env, context.fetch);
  if (!admin) {
    context.err('dotm node: no API key: give --api-key or set DOTM_API_KEY\n');
    return 2;
  }
  const call = <T>(method: string, path: string, body?: unknown) => admin.call<T>(method, path, body);
  const print = (value: unknown, text: string) =>
    context.out(values.json ? `${JSON.stringify(value, null, 2)}\n` : text);
  try {
    const path = `/api/v1/nodes/${encodeURIComponent(nodeId ?? '')}`;
    if (command === 'list') {
      const { nodes } = await call<{ nodes: NodeView[] }>('GET', '/api/v1/nodes');
      print(nodes, nodeTable(nodes));
      return 0;
    }
    if (command === 'undrain') {
      const answer = await call<{ node: NodeView }>('POST', `${path}/undrain`);
      print(answer, `${answer.node.nodeId}: active (takes new streams)\n`);
      return 0;
    }
    const answer = await call<DrainAnswer>('POST', `${path}/drain`, {
      ...(values.reason === undefined ? {} : { reason: values.reason }),
      ...(values.force ? { force: true } : {}),
    });
    print(answer, `${answer.node.nodeId}: draining. ${answer.message}\n`);
    if (!values.wait) return 0;
    const timeoutMs = Number(values.timeout ?? 120) * 1000;
    const deadline = Date.now() + (Number.isFinite(timeoutMs) ? timeoutMs : 120_000);
    for (;;) {
      const { nodes } = await call<{ nodes: NodeView[] }>('GET', '/api/v1/nodes');
      const node = nodes.find((n) => n.nodeId === nodeId);
      if (!node || node.state === 'drained') {
        context.out(
          values.json ? '' : `${nodeId}: ${node ? 'drained (0 OTMs): it can be stopped' : 'gone'}\n`,
        );
        return 0;
      }
      if (Date.now() > deadline) {
        context.err(`dotm node drain: ${nodeId} still carries ${node.load.otms} OTM(s)\n`);
        return 1;
      }
      await new Promise((resolve) => setTimeout(resolve, context.pollMs ?? 1000));
    }
  } catch (error) {
    context.err(`dotm node ${command}: ${(error as Error).message}\n`);
    return 1;
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      ...ADMIN_CLI_OPTIONS,
      reason: { type: 'string' },
      force: { type: 'boolean' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
    },
  });
}

function nodeTable(nodes: NodeView[]): string {
  if (nodes.length === 0) return 'no live node\n';
  const rows = [
    ['NODE', 'STATE', 'OTMS', 'SUBS', 'CPU', 'REGION', 'VERSION', 'PROTO', 'REASON'],
    ...nodes.map((n) => [
      n.nodeId,
      n.state,
      String(n.load.otms),
      String(n.load.subscribers),
      `${Math.round(n.load.cpu * 100)}%`,
      n.region,
      n.version,
      String(n.protocol),
      n.drain?.reason ?? '',
    ]),
  ];
  return textTable(rows);
}
