import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { ADMIN_CLI_OPTIONS, AdminClient } from './AdminClient.ts';

/** What an admin command needs from the binary; tests pass their own. */
export interface AdminCliContext {
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Parsed flags: the common ones (--url, --api-key, --json, --help) and the command's own. */
export type AdminFlags = Record<string, string | boolean | undefined>;

export interface AdminCommand {
  /** As typed after `dotm`, e.g. "node" or "meeting". */
  name: string;
  help: string;
  /** Flags beyond the common ones. */
  options?: ParseArgsOptionsConfig;
  /** Why the positionals do not make a call (printed with the help), or undefined when they do. */
  usageError(positionals: readonly string[]): string | undefined;
  /** Makes the calls; resolves the exit code. Errors thrown become exit code 1 with their message. */
  run(call: AdminCall): Promise<number>;
}

export interface AdminCall {
  admin: AdminClient;
  flags: AdminFlags;
  positionals: readonly string[];
  /** `text` for people, `value` as JSON with --json. */
  print(value: unknown, text: string): void;
}

/**
 * The part every `dotm <name> <subcommand>` admin command shares: flags, --help, the controller
 * and API key to call, exit codes (0 done, 1 the call failed, 2 a usage error).
 */
export async function runAdminCommand(
  args: string[],
  context: AdminCliContext,
  command: AdminCommand,
): Promise<number> {
  let flags: AdminFlags;
  let positionals: string[];
  try {
    ({ values: flags, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: { ...ADMIN_CLI_OPTIONS, ...command.options },
    }));
  } catch (error) {
    context.err(`dotm ${command.name}: ${(error as Error).message}\n\n${command.help}\n`);
    return 2;
  }
  if (flags.help) {
    context.out(`${command.help}\n`);
    return 0;
  }
  const usage = command.usageError(positionals);
  if (usage) {
    context.err(`dotm ${command.name}: ${usage}\n\n${command.help}\n`);
    return 2;
  }
  const admin = AdminClient.fromFlags(
    { url: stringFlag(flags.url), 'api-key': stringFlag(flags['api-key']) },
    context.env,
    context.fetch,
  );
  if (!admin) {
    context.err(`dotm ${command.name}: no API key: give --api-key or set DOTM_API_KEY\n`);
    return 2;
  }
  try {
    return await command.run({
      admin,
      flags,
      positionals,
      print: (value, text) => context.out(flags.json ? `${JSON.stringify(value, null, 2)}\n` : text),
    });
  } catch (error) {
    context.err(`dotm ${command.name} ${positionals[0] ?? ''}: ${(error as Error).message}\n`);
    return 1;
  }
}

export function stringFlag(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
