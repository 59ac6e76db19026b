import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Database } from '../db/Database.ts';
import type { Tenant } from '../db/TenantRepository.ts';
import { bbbSecretLines, ensureDefaultTenant } from './defaultTenant.ts';
import { TenantAdmin } from './TenantAdmin.ts';
import { tenantView } from './TenantAdminApi.ts';
import { TenantAdminError } from './TenantAdminError.ts';

/** What `dotm tenant` needs from the binary: the configuration's database and public URL. */
export interface TenantCliContext {
  /** Opens the configured database at the newest schema (`--config` names the file, if given). */
  openDatabase(configFile: string | undefined): Promise<{
    db: Database;
    publicUrl: string;
    defaultSecret: string;
  }>;
  out: (text: string) => void;
  err: (text: string) => void;
}

const COMMON = `  --config <file>          JSON configuration file (its database section is the one used)
  --json                   print JSON instead of text
  -h, --help               this help`;

export const TENANT_HELP: Record<string, string> = {
  tenant: `Usage: dotm tenant <list|add|update|remove> [options]

Manages tenants (institutions) in the configured database directly: each has its own secrets,
hostnames, region, create/join presets and theme. A running controller sees changes within seconds.
The same operations are at /api/v1/tenants (API key).

Commands:
  list       every tenant
  add        a new tenant; prints its BigBlueButton URL and secret
  update     change a tenant; rotate or add secrets
  remove     remove a tenant without meeting history

Run "dotm tenant <command> --help" for its options.`,
  list: `Usage: dotm tenant list [options]

Lists the tenants: name, region, hostnames, how many secrets, id. --json shows everything,
secrets and settings included.

Options:
${COMMON}`,
  add: `Usage: dotm tenant add <name> [options]

Adds a tenant and prints the URL and secret its portal is configured with.

Options:
  --region <name>          where its meetings should preferably run (e.g. sa-east)
  --hostname <host>        a hostname of its own (repeatable): calls on it are checked only
                           against its secrets, and its users stay on it
  --secret <secret>        its shared secret (repeatable; 16+ printable characters, no spaces);
                           default: a random one
  --settings <json|@file>  presets and theme, e.g. '{"defaultCreateParams":{"record":"true"},
                           "theme":{"name":"Physics","logoUrl":"https://…/logo.svg",
                           "colors":{"primary":"#003366"}},"logoutUrl":"https://…"}'
${COMMON}`,
  update: `Usage: dotm tenant update <name|id> [options]

Changes a tenant. To rotate a secret: --rotate-secret (a new secret becomes the first, the old
ones keep working), move the portals over, then --remove-secret <old>.

Options:
  --name <name>            rename it
  --region <name>          its region ('' for none)
  --hostname <host>        replace its hostnames with these (repeatable)
  --add-hostname <host>    add a hostname (repeatable)
  --remove-hostname <host> remove a hostname (repeatable)
  --rotate-secret          add a random secret as its first; prints it
  --add-secret <secret>    add this secret after the others (repeatable)
  --remove-secret <secret> remove a secret (repeatable); the last one cannot go
  --settings <json|@file>  a JSON merge patch over its settings: given keys replace, null removes
${COMMON}`,
  remove: `Usage: dotm tenant remove <name|id> [options]

Removes a tenant, its hostnames, secrets and hooks. A tenant with meetings or recordings in its
history is kept (change its secrets to lock its portals out); the default tenant is kept too.

Options:
${COMMON}`,
};

function parseTenantArgs(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      name: { type: 'string' },
      region: { type: 'string' },
      hostname: { type: 'string', multiple: true },
      'add-hostname': { type: 'string', multiple: true },
      'remove-hostname': { type: 'string', multiple: true },
      secret: { type: 'string', multiple: true },
      'rotate-secret': { type: 'boolean' },
      'add-secret': { type: 'string', multiple: true },
      'remove-secret': { type: 'string', multiple: true },
      settings: { type: 'string' },
    },
  });
}

type TenantArgs = ReturnType<typeof parseTenantArgs>['values'];

const ALLOWED: Record<string, (keyof TenantArgs)[]> = {
  list: [],
  add: ['region', 'hostname', 'secret', 'settings'],
  update: [
    'name',
    'region',
    'hostname',
    'add-hostname',
    'remove-hostname',
    'rotate-secret',
    'add-secret',
    'remove-secret',
    'settings',
  ],
  remove: [],
};

/** `dotm tenant …`; returns the exit code (2: wrong usage, 1: refused or failed). */
export async function runTenantCli(args: string[], context: TenantCliContext): Promise<number> {
  const [command, ...rest] = args;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    context.out(`${TENANT_HELP.tenant}\n`);
    return command ? 0 : 2;
  }
  if (!(command in ALLOWED)) {
    context.err(`dotm tenant: unknown command "${command}"\n\n${TENANT_HELP.tenant}\n`);
    return 2;
  }
  let parsed: ReturnType<typeof parseTenantArgs>;
  try {
    parsed = parseTenantArgs(rest);
    checkUsage(command, parsed.values, parsed.positionals);
  } catch (error) {
    context.err(`dotm tenant ${command}: ${(error as Error).message}\n\n${TENANT_HELP[command]}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    context.out(`${TENANT_HELP[command]}\n`);
    return 0;
  }
  let settings: unknown;
  try {
    settings = values.settings === undefined ? undefined : readSettings(values.settings);
  } catch (error) {
    context.err(`dotm tenant ${command}: --settings: ${(error as Error).message}\n`);
    return 2;
  }
  const { db, publicUrl, defaultSecret } = await context.openDatabase(values.config);
  try {
    // As `dotm secret`: the default tenant exists from the first use, so the list shows it.
    await ensureDefaultTenant(db, { secret: defaultSecret || undefined });
    const admin = new TenantAdmin(db);
    const print = new TenantPrinter(context, values.json ?? false, publicUrl);
    switch (command) {
      case 'list':
        print.list(await admin.list());
        return 0;
      case 'add': {
        const tenant = await admin.create({
          name: positionals[0],
          ...(values.region === undefined ? {} : { region: values.region }),
          ...(values.hostname ? { hostnames: values.hostname } : {}),
          ...(values.secret ? { secrets: values.secret } : {}),
          ...(settings === undefined ? {} : { settings }),
        });
        print.changed('added', tenant, tenant.secrets[0]);
        return 0;
      }
      case 'update': {
        const key = positionals[0]!;
        let tenant: Tenant | undefined;
        const patch: Record<string, unknown> = {
          ...(values.name === undefined ? {} : { name: values.name }),
          ...(values.region === undefined ? {} : { region: values.region }),
          ...(values.hostname ? { hostnames: values.hostname } : {}),
          ...(values['add-hostname'] ? { addHostnames: values['add-hostname'] } : {}),
          ...(values['remove-hostname'] ? { removeHostnames: values['remove-hostname'] } : {}),
          ...(values['add-secret'] ? { addSecrets: values['add-secret'] } : {}),
          ...(values['remove-secret'] ? { removeSecrets: values['remove-secret'] } : {}),
          ...(settings === undefined ? {} : { settings }),
        };
        if (Object.keys(patch).length > 0) tenant = await admin.update(key, patch);
        let newSecret: string | undefined;
        if (values['rotate-secret']) {
          const rotated = await admin.addSecret(tenant?.id ?? key, { primary: true });
          tenant = rotated.tenant;
          newSecret = rotated.secret;
        }
        print.changed('updated', tenant!, newSecret);
        return 0;
      }
      case 'remove': {
        const tenant = await admin.remove(positionals[0]!);
        print.removed(tenant);
        return 0;
      }
    }
    return 2;
  } catch (error) {
    if (!(error instanceof TenantAdminError)) throw error;
    context.err(`dotm tenant ${command}: ${error.message}\n`);
    return 1;
  } finally {
    await db.close();
  }
}

function checkUsage(command: string, values: TenantArgs, positionals: string[]): void {
  if (values.help) return;
  const allowed = ALLOWED[command]!;
  for (const [flag, value] of Object.entries(values)) {
    if (value === undefined || ['config', 'json', 'help'].includes(flag)) continue;
    if (!allowed.includes(flag as keyof TenantArgs))
      throw new Error(`--${flag} is not an option of "dotm tenant ${command}"`);
  }
  const wanted = command === 'list' ? 0 : 1;
  if (positionals.length !== wanted)
    throw new Error(
      wanted === 0
        ? `takes no arguments, got "${positionals[0]}"`
        : `needs exactly one ${command === 'add' ? 'name' : 'tenant name or id'}`,
    );
  if (command === 'update' && allowed.every((flag) => values[flag] === undefined))
    throw new Error('nothing to change: give at least one option');
}

/** `--settings '{…}'` or `--settings @file.json`. */
function readSettings(given: string): unknown {
  const text = given.startsWith('@') ? readFileSync(given.slice(1), 'utf8') : given;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('not valid JSON');
  }
}

/** Human-readable tables, or JSON (`--json`) for scripts. */
class TenantPrinter {
  readonly #context: TenantCliContext;
  readonly #json: boolean;
  readonly #publicUrl: string;

  constructor(context: TenantCliContext, json: boolean, publicUrl: string) {
    this.#context = context;
    this.#json = json;
    this.#publicUrl = publicUrl;
  }

  list(tenants: Tenant[]): void {
    if (this.#json) {
      this.#write({ tenants: tenants.map(tenantView) });
      return;
    }
    const rows = tenants.map((t) => [
      t.name + (t.isDefault ? ' (default)' : ''),
      t.region || '-',
      t.hostnames.join(',') || '-',
      String(t.secrets.length),
      t.id,
    ]);
    this.#context.out(`${table(['NAME', 'REGION', 'HOSTNAMES', 'SECRETS', 'ID'], rows)}\n`);
  }

  changed(what: 'added' | 'updated', tenant: Tenant, newSecret: string | undefined): void {
    if (this.#json) {
      this.#write({ tenant: tenantView(tenant), ...(newSecret ? { secret: newSecret } : {}) });
      return;
    }
    const lines = [
      `Tenant "${tenant.name}" ${what}.`,
      '',
      table(
        ['FIELD', 'VALUE'],
        [
          ['id', tenant.id],
          ['region', tenant.region || '-'],
          ['hostnames', tenant.hostnames.join(', ') || '-'],
          ['secrets', `${tenant.secrets.length}`],
          ['settings', Object.keys(tenant.settings).length > 0 ? JSON.stringify(tenant.settings) : '-'],
        ],
      ),
    ];
    if (newSecret)
      lines.push('', 'Configure its portal or LMS with:', bbbSecretLines(this.#publicUrl, newSecret));
    this.#context.out(`${lines.join('\n')}\n`);
  }

  removed(tenant: Tenant): void {
    if (this.#json) this.#write({ removed: tenantView(tenant) });
    else this.#context.out(`Tenant "${tenant.name}" removed (${tenant.id}).\n`);
  }

  #write(value: unknown): void {
    this.#context.out(`${JSON.stringify(value, null, 2)}\n`);
  }
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
