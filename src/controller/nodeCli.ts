import { ADMIN_TARGET_HELP } from '../cli/AdminClient.ts';
import { type AdminCliContext, runAdminCommand, stringFlag } from '../cli/runAdminCommand.ts';
import { textTable } from '../cli/textTable.ts';
import type { DrainAnswer, NodeView } from './NodeDrainer.ts';

/** What `dotm node list|drain|undrain` needs from the binary. */
export interface NodeCliContext extends AdminCliContext {
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
export function runNodeCli(args: string[], context: NodeCliContext): Promise<number> {
  return runAdminCommand(args, context, {
    name: 'node',
    help: NODE_CLI_HELP,
    options: {
      reason: { type: 'string' },
      force: { type: 'boolean' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
    },
    usageError: ([command, nodeId, ...extra]) =>
      !command ||
      !NODE_SUBCOMMANDS.has(command) ||
      extra.length > 0 ||
      (command !== 'list') !== (nodeId !== undefined)
        ? 'say list, or drain/undrain and one node id'
        : undefined,
    run: async ({ admin, flags, positionals: [command, nodeId], print }) => {
      const path = `/api/v1/nodes/${encodeURIComponent(nodeId ?? '')}`;
      if (command === 'list') {
        const { nodes } = await admin.call<{ nodes: NodeView[] }>('GET', '/api/v1/nodes');
        print(nodes, nodeTable(nodes));
        return 0;
      }
      if (command === 'undrain') {
        const answer = await admin.call<{ node: NodeView }>('POST', `${path}/undrain`);
        print(answer, `${answer.node.nodeId}: active (takes new streams)\n`);
        return 0;
      }
      const reason = stringFlag(flags.reason);
      const answer = await admin.call<DrainAnswer>('POST', `${path}/drain`, {
        ...(reason === undefined ? {} : { reason }),
        ...(flags.force ? { force: true } : {}),
      });
      print(answer, `${answer.node.nodeId}: draining. ${answer.message}\n`);
      if (!flags.wait) return 0;
      const timeoutMs = Number(stringFlag(flags.timeout) ?? 120) * 1000;
      const deadline = Date.now() + (Number.isFinite(timeoutMs) ? timeoutMs : 120_000);
      for (;;) {
        const { nodes } = await admin.call<{ nodes: NodeView[] }>('GET', '/api/v1/nodes');
        const node = nodes.find((n) => n.nodeId === nodeId);
        if (!node || node.state === 'drained') {
          context.out(
            flags.json ? '' : `${nodeId}: ${node ? 'drained (0 OTMs): it can be stopped' : 'gone'}\n`,
          );
          return 0;
        }
        if (Date.now() > deadline) {
          context.err(`dotm node drain: ${nodeId} still carries ${node.load.otms} OTM(s)\n`);
          return 1;
        }
        await new Promise((resolve) => setTimeout(resolve, context.pollMs ?? 1000));
      }
    },
  });
}

function nodeTable(nodes: NodeView[]): string {
  if (nodes.length === 0) return 'no live node\n';
  const rows = [
    ['NODE', 'STATE', 'OTMS', 'SUBS', 'CPU', 'PACKETS/S', 'REGION', 'VERSION', 'PROTO', 'REASON'],
    ...nodes.map((n) => [
      n.nodeId,
      n.state,
      String(n.load.otms),
      String(n.load.subscribers),
      `${Math.round(n.load.cpu * 100)}%`,
      packetsText(n),
      n.region,
      n.version,
      String(n.protocol),
      n.drain?.reason ?? '',
    ]),
  ];
  return textTable(rows);
}

/** Load against capacity, and the measured cost that capacity came from (when it did). */
function packetsText(node: NodeView): string {
  const load = Math.round(node.load.packetsInPerSecond + node.load.packetsOutPerSecond);
  const measured = node.capacity.measuredUsPerPacket;
  return `${load}/${node.capacity.maxPacketsPerSecond}${measured === undefined ? '' : ` @${measured}µs`}`;
}
