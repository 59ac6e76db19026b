import { ADMIN_TARGET_HELP } from '../cli/AdminClient.ts';
import { type AdminCliContext, runAdminCommand, stringFlag } from '../cli/runAdminCommand.ts';
import { textTable } from '../cli/textTable.ts';
import type { MeetingView } from './MeetingAdminApi.ts';

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
export function runMeetingCli(args: string[], context: AdminCliContext): Promise<number> {
  return runAdminCommand(args, context, {
    name: 'meeting',
    help: MEETING_CLI_HELP,
    options: { tenant: { type: 'string' } },
    usageError: ([command, ...operands]) =>
      (command === 'list' && operands.length === 0) || (command === 'end' && operands.length === 2)
        ? undefined
        : 'say list, or end with a tenant and a meetingID',
    run: async ({ admin, flags, positionals: [command, tenant, meetingId], print }) => {
      if (command === 'list') {
        const only = stringFlag(flags.tenant);
        const query = only === undefined ? '' : `?tenant=${encodeURIComponent(only)}`;
        const { meetings } = await admin.call<{ meetings: MeetingView[] }>('GET', `/api/v1/meetings${query}`);
        print(meetings, meetingTable(meetings));
        return 0;
      }
      const path = `/api/v1/meetings/${encodeURIComponent(tenant!)}/${encodeURIComponent(meetingId!)}`;
      const answer = await admin.call<{ ended: boolean; meeting: MeetingView }>('DELETE', path);
      print(
        answer,
        `${answer.meeting.tenant.name}/${answer.meeting.meetingID}: ended (${answer.meeting.participantCount} participant(s) sent out)\n`,
      );
      return 0;
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
