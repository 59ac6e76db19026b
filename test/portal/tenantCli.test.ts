import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openDatabase } from '../../src/db/openDatabase.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import { runTenantCli } from '../../src/portal/tenantCli.ts';

const dir = mkdtempSync(join(tmpdir(), 'dotm-tenant-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, 'dotm.sqlite');

/** `dotm tenant …` against the test's database file, as the binary wires it. */
async function dotm(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runTenantCli(args, {
    openDatabase: async () => ({
      db: await openDatabase({ engine: 'sqlite', path }),
      publicUrl: 'https://conf.example.org',
      defaultSecret: 'the-configured-default-secret',
    }),
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

test('help: the command, each subcommand; unknown ones are usage errors', async () => {
  const bare = await dotm();
  assert.equal(bare.code, 2);
  assert.match(bare.out, /Usage: dotm tenant <list\|add\|update\|remove>/);
  for (const sub of ['list', 'add', 'update', 'remove']) {
    const help = await dotm(sub, '--help');
    assert.equal(help.code, 0);
    assert.match(help.out, new RegExp(`^Usage: dotm tenant ${sub}`));
    assert.match(help.out, /--json/);
  }
  assert.equal((await dotm('frobnicate')).code, 2);
  const wrongFlag = await dotm('list', '--region', 'eu');
  assert.equal(wrongFlag.code, 2);
  assert.match(wrongFlag.err, /--region is not an option of "dotm tenant list"/);
  assert.match((await dotm('add')).err, /needs exactly one name/);
  assert.match((await dotm('update', 'x')).err, /nothing to change/);
});

test('add prints the tenant and the URL + secret its portal needs; list shows a table or JSON', async () => {
  const added = await dotm(
    'add',
    'physics',
    '--region',
    'sa-east',
    '--hostname',
    'Conf.Physics.Example',
    '--hostname',
    'physics.example',
    '--settings',
    '{"theme":{"name":"Physics","colors":{"primary":"#003366"}}}',
  );
  assert.equal(added.code, 0, added.err);
  assert.match(added.out, /^Tenant "physics" added\./);
  assert.match(added.out, /hostnames +conf\.physics\.example, physics\.example/);
  assert.match(
    added.out,
    / {4}URL: https:\/\/conf\.example\.org\/bigbluebutton\/\n {4}Secret: [A-Za-z0-9]{40}\n$/,
  );

  const list = await dotm('list');
  assert.equal(list.code, 0);
  const lines = list.out.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME +REGION +HOSTNAMES +SECRETS +ID$/);
  assert.match(lines[1]!, /^default \(default\) +- +- +1 +[0-9a-f-]{36}$/);
  assert.match(lines[2]!, /^physics +sa-east +conf\.physics\.example,physics\.example +1 +[0-9a-f-]{36}$/);
  assert.ok(!list.out.includes('the-configured-default-secret'), 'the table does not print secrets');

  const json = JSON.parse((await dotm('list', '--json')).out) as {
    tenants: { name: string; secrets: string[] }[];
  };
  assert.deepEqual(
    json.tenants.map((t) => t.name),
    ['default', 'physics'],
  );
  assert.deepEqual(json.tenants[0]!.secrets, ['the-configured-default-secret']);
});

test('update rotates a secret, edits hostnames and merges settings; refusals exit 1 with the reason', async () => {
  const rotated = await dotm(
    'update',
    'physics',
    '--rotate-secret',
    '--remove-hostname',
    'physics.example',
    '--json',
  );
  assert.equal(rotated.code, 0, rotated.err);
  const { tenant, secret } = JSON.parse(rotated.out) as {
    tenant: { secrets: string[]; hostnames: string[] };
    secret: string;
  };
  assert.equal(tenant.secrets[0], secret);
  assert.equal(tenant.secrets.length, 2);
  assert.deepEqual(tenant.hostnames, ['conf.physics.example']);

  const settingsFile = join(dir, 'settings.json');
  writeFileSync(
    settingsFile,
    '{"theme":{"colors":{"primary":null,"accent":"teal"}},"logoutUrl":"https://physics.example"}',
  );
  const merged = await dotm(
    'update',
    'physics',
    '--settings',
    `@${settingsFile}`,
    '--remove-secret',
    tenant.secrets[1]!,
  );
  assert.equal(merged.code, 0, merged.err);
  assert.match(merged.out, /^Tenant "physics" updated\./);
  const db = await openDatabase({ engine: 'sqlite', path });
  const stored = await new TenantRepository(db).findByName('physics');
  await db.close();
  assert.deepEqual(stored?.settings, {
    theme: { name: 'Physics', colors: { accent: 'teal' } },
    logoutUrl: 'https://physics.example',
  });
  assert.deepEqual(stored?.secrets, [secret]);

  const bad = await dotm('update', 'physics', '--settings', '{"theme":{"colors":{"accent":"url(x)"}}}');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /must be a CSS colour/);
  const notJson = await dotm('update', 'physics', '--settings', '{oops');
  assert.equal(notJson.code, 2);
  assert.match(notJson.err, /--settings: not valid JSON/);
  const lastSecret = await dotm('update', 'physics', '--remove-secret', secret);
  assert.equal(lastSecret.code, 1);
  assert.match(lastSecret.err, /without a secret/);
  const nobody = await dotm('update', 'nobody', '--region', 'eu');
  assert.equal(nobody.code, 1);
  assert.match(nobody.err, /no tenant with the id or name "nobody"/);
});

test('remove: a tenant goes, the default one stays', async () => {
  const kept = await dotm('remove', 'default');
  assert.equal(kept.code, 1);
  assert.match(kept.err, /default tenant cannot be removed/);
  const removed = await dotm('remove', 'physics');
  assert.equal(removed.code, 0, removed.err);
  assert.match(removed.out, /^Tenant "physics" removed/);
  assert.equal((await dotm('remove', 'physics')).code, 1);
  assert.deepEqual(
    (JSON.parse((await dotm('list', '--json')).out) as { tenants: { name: string }[] }).tenants.map(
      (t) => t.name,
    ),
    ['default'],
  );
});
