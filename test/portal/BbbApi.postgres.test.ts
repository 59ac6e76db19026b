import { after } from 'node:test';
import { Migrator } from '../../src/db/Migrator.ts';
import { PostgresDatabase } from '../../src/db/PostgresDatabase.ts';
import { PostgresServer } from '../support/postgresServer.ts';
import { usePortalDatabases } from './portalRig.ts';

// The portal's suites once more, each rig and test database on a fresh schema of one PostgreSQL
// server's database: the BigBlueButton API end to end (create, join, monitoring, end, recordings,
// tenants, hooks and their delivery, the tenant admin API) on the cluster engine. The suites run in this process, so their tests are reported under
// this file (and only with the runner's default process isolation).
let server: Promise<PostgresServer> | undefined;
// First of the file's hooks: it must run even when a suite's own hook fails (node:test then skips
// the hooks after it); rigs closed after it find their connections already ended, which is fine.
after(async () => {
  if (server) await (await server).stop();
});
usePortalDatabases(async () => {
  server ??= PostgresServer.start();
  const db = new PostgresDatabase({ url: await (await server).createSchema() });
  await new Migrator(db).migrate();
  return db;
});

await import('./BbbApi.badInput.test.ts');
await import('./BbbApi.checksum.test.ts');
await import('./BbbApi.create.test.ts');
await import('./BbbApi.hooks.test.ts');
await import('./BbbApi.join.test.ts');
await import('./BbbApi.monitoring.test.ts');
await import('./BbbApi.recordings.test.ts');
await import('./BbbApi.tenants.test.ts');
await import('./MeetingLifecycle.test.ts');
await import('./defaultTenant.test.ts');
await import('./Portal.test.ts');
await import('./webhookDelivery.test.ts');
