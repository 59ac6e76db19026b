import { parseArgs } from 'node:util';
import { ADMIN_CLI_OPTIONS, ADMIN_TARGET_HELP, AdminClient } from '../cli/AdminClient.ts';
import { textTable } from '../cli/textTable.ts';
import type { MeetingView } from './MeetingAdminApi.ts';

/** What `dotm meeting list|end` needs from the binary. */
export interface MeetingCliContext {
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  out: (text: string) => void;
  err: (text: string) => void;
}

export const MEETING_CLI_HELP = `Usage: dotm meeting <list|end> [options]

Operates the BigBlueButton meetings running anywhere in the cluster, through a controller's admin
API (/api/v1/meetings).

  dotm meeting list [--tenant <name>]      running meetings: tenant, meetingID, name, participants
  dotm meeting end <tenant> <meetingID>    end a meeting for everyone in it (as BigBlueButton's end)

Options:
${ADMIN_TARGET_HELP}
  --tenant <name>      for list: only this tenant's meetings (its name or id)
  --json               print JSON instead of text
  -h, --help           this help`;

/** `dotm meeting …` as the binary runs it: this process's environment and output. */
export function meetingCommand(args: string[]): Promise<number> {
  return runMeetingCli(args, {
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
}

/** Runs `dotm meeting <subcommand> …`; resolves the exit code. */
export async function runMeetingCli(args: string[], context: MeetingCliContext): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    context.err(`dotm meeting: ${(error as Error).message}\n\n${MEETING_CLI_HELP}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    context.out(`${MEETING_CLI_HELP}\n`);
    return 0;
  }
  const [command, ...operands] = positionals;
  const fits = (command === 'list' && operands.length === 0) || (command === 'end' && operands.length === 2);
  if (!fits) {
    context.err(`dotm meeting: say list, or end with a tenant and a meetingID\n\n${MEETING_CLI_HELP}\n`);
    return 2;
  }
  const admin = AdminClient.fromFlags(values, context.env, context.fetch);
  if (!admin) {
    context.err('dotm meeting: no API key: give --api-key or set DOTM_API_KEY\n');
    return 2;
  }
  const call = <T>(method: string, path: string) => admin.call<T>(method, path);
  const print = (value: unknown, text: string) =>
    context.out(values.json ? `${JSON.stringify(value, null, 2)}\n` : text);
  try {
    if (command === 'list') {
      const query = values.tenant === undefined ? '' : `?tenant=${encodeURIComponent(values.tenant)}`;
      const { meetings } = await call<{ meetings: MeetingView[] }>('GET', `/api/v1/meetings${query}`);
      print(meetings, meetingTable(meetings));
      return 0;
    }
    const [tenant, meetingId] = operands as [string, string];
    const path = `/api/v1/meetings/${encodeURIComponent(tenant)}/${encodeURIComponent(meetingId)}`;
    const answer = await call<{ ended: boolean; meeting: MeetingView }>('DELETE', path);
    print(
      answer,
      `${answer.meeting.tenant.name}/${answer.meeting.meetingID}: ended (${answer.meeting.participantCount} participant(s) sent out)\n`,
    );
    return 0;
  } catch (error) {
    context.err(`dotm meeting ${command}: ${(error as Error).message}\n`);
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
      tenant: { type: 'string' },
    },
  });
}

function meetingTable(meetings: MeetingView[]): string {
  if (meetings.length === 0) return 'no meeting is running\n';
  const rows = [
    ['TENANT', 'MEETING ID', 'NAME', 'PARTICIPANTS', 'STARTED'],
    ...meetings.map((m) => [
      m.tenant.name,
      m.meetingID,
      m.name,
      String(m.participantCount),
      m.startedAt === null ? 'not yet' : new Date(m.startedAt).toISOString(),
    ]),
  ];
  return textTable(rows);
}
