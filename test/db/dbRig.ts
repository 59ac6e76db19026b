import { after, describe } from 'node:test';
import type { Database, SqlDialect } from '../../src/db/Database.ts';
import { MeetingRepository, type NewMeeting } from '../../src/db/MeetingRepository.ts';
import { Migrator } from '../../src/db/Migrator.ts';
import type { DatabaseOptions } from '../../src/db/openDatabase.ts';
import { PostgresDatabase } from '../../src/db/PostgresDatabase.ts';
import { SqliteDatabase } from '../../src/db/SqliteDatabase.ts';
import { type NewTenant, TenantRepository } from '../../src/db/TenantRepository.ts';
import { type CreateDatabaseOptions, PostgresServer } from '../support/postgresServer.ts';

/** One engine the database contract is run against; each call gives a store of the test's own. */
export interface TestEngine {
  readonly name: SqlDialect;
  /** Options for a new, empty store (SQLite in memory; on PostgreSQL a fresh schema, see createSchema). */
  options(postgres?: CreateDatabaseOptions): Promise<DatabaseOptions>;
  /** A new, empty database (no schema). */
  fresh(postgres?: CreateDatabaseOptions): Promise<Database>;
  /** A new database at the newest schema. */
  migrated(postgres?: CreateDatabaseOptions): Promise<Database>;
  /** A handle on the store `options` names; on PostgreSQL a second one is what another controller has. */
  open(options: DatabaseOptions): Database;
}

/**
 * Declares the same suite once per engine: embedded SQLite, and PostgreSQL on a server this test file
 * starts on first use (one per file) and stops after its last test; each test gets a store of its own
 * (SQLite in memory; a new schema in the file's database). Handles a test leaves open are closed
 * before the server stops.
 */
export function describeEachEngine(title: string, body: (engine: TestEngine) => void): void {
  for (const engine of testEngines()) describe(`${title} (${engine.name})`, () => body(engine));
}

let engines: TestEngine[] | undefined;

function testEngines(): TestEngine[] {
  if (engines) return engines;
  const opened = new Set<Database>();
  let server: Promise<PostgresServer> | undefined;
  const track = <T extends Database>(db: T): T => {
    opened.add(db);
    return db;
  };
  const open = (options: DatabaseOptions): Database =>
    track(
      options.engine === 'postgres'
        ? new PostgresDatabase({ url: options.url, maxConnections: options.maxConnections })
        : new SqliteDatabase({ path: options.path }),
    );
  const engine = (
    name: SqlDialect,
    options: (postgres?: CreateDatabaseOptions) => Promise<DatabaseOptions>,
  ): TestEngine => ({
    name,
    options,
    open,
    fresh: async (postgres) => open(await options(postgres)),
    migrated: async (postgres) => {
      const db = open(await options(postgres));
      await new Migrator(db).migrate(1_000);
      return db;
    },
  });
  engines = [
    engine('sqlite', async () => ({ engine: 'sqlite', path: ':memory:' })),
    engine('postgres', async (postgres) => {
      server ??= PostgresServer.start();
      return { engine: 'postgres', url: await (await server).createSchema(postgres) };
    }),
  ];
  after(async () => {
    // A handle still in a transaction (a failed test's) never closes: give up on it after a while.
    const closed = Promise.all([...opened].map((db) => db.close().catch(() => {})));
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    if (server) await (await server).stop();
  });
  return engines;
}

/** A meeting row with nothing of note set: its room, external id and name are its id unless `over` says otherwise. */
export function newMeeting(tenantId: string, id: string, over: Partial<NewMeeting> = {}): NewMeeting {
  return {
    id,
    tenantId,
    externalId: id,
    room: id,
    name: id,
    attendeePw: 'ap',
    moderatorPw: 'mp',
    record: false,
    durationMinutes: 0,
    maxParticipants: 0,
    createParams: {},
    metadata: {},
    createdAt: 1,
    ...over,
  };
}

/** A tenant ('t', secret 's' unless `over.tenant` says otherwise) holding the meetings `ids` (see newMeeting). */
export async function tenantWithMeetings(
  db: Database,
  ids: readonly string[] = ['m1'],
  over: { tenant?: Partial<NewTenant>; meeting?: Partial<NewMeeting> } = {},
): Promise<{ tenantId: string; meetings: MeetingRepository }> {
  const tenant = await new TenantRepository(db).create({ name: 't', secrets: ['s'], ...over.tenant });
  const meetings = new MeetingRepository(db);
  for (const id of ids) await meetings.createIfAbsent(newMeeting(tenant.id, id, over.meeting));
  return { tenantId: tenant.id, meetings };
}
