import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, escapeLiteral } from 'pg';
import { freePort } from './redisServer.ts';

const DEBIAN_BINARIES = '/usr/lib/postgresql';
const READY = 'database system is ready to accept connections';
const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface CreateDatabaseOptions {
  /**
   * The database's collation, an ICU locale. Default en-US, a natural-language order like the one a
   * production server takes from its OS locale, so the tests see what C-locale databases would hide.
   * 'C' sorts by byte.
   */
  collation?: string;
}

/**
 * A real PostgreSQL server of the test's own: initdb into a temporary directory, a free port on
 * 127.0.0.1, its socket in that directory, trust authentication, no fsync, deadlocks found in 100 ms.
 * When the tests run as root (CI), the server runs as the `postgres` user, since PostgreSQL refuses
 * to run as root. The binaries are Debian's (/usr/lib/postgresql/<version>/bin, the newest), or
 * DOTM_TEST_POSTGRES_BIN, or PATH's.
 */
export class PostgresServer {
  readonly port: number;
  /** From initdb to accepting connections. */
  readonly startupMs: number;
  readonly #dir: string;
  readonly #process: ChildProcess;
  readonly #log: string[];
  readonly #killOnExit: () => void;
  /** The databases createSchema puts schemas in, by collation. */
  readonly #databases = new Map<string, Promise<string>>();
  #schemas = 0;
  #stopped: Promise<void> | undefined;

  private constructor(port: number, dir: string, child: ChildProcess, log: string[], startupMs: number) {
    this.port = port;
    this.#dir = dir;
    this.#process = child;
    this.#log = log;
    this.startupMs = startupMs;
    // A test file that never calls stop() (a hook failed before it) still ends, and takes its
    // server and directory with it instead of leaving them running.
    child.unref();
    (child.stderr as Socket).unref();
    this.#killOnExit = () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    };
    process.once('exit', this.#killOnExit);
  }

  /** The server's own `postgres` database, as its superuser. */
  get url(): string {
    return this.urlFor('postgres');
  }

  urlFor(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  static async start(): Promise<PostgresServer> {
    const began = performance.now();
    const bin = postgresBinDir();
    const owner = serverUser();
    const dir = await mkdtemp(join(tmpdir(), 'dotm-pg-'));
    try {
      if (owner) await chown(dir, owner.uid, owner.gid);
      const data = join(dir, 'data');
      await runToEnd(
        join(bin, 'initdb'),
        ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
        { cwd: dir, ...owner },
      );
      // The port is free when chosen but may be taken before the server binds it: try another.
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        const log: string[] = [];
        const child = spawn(
          join(bin, 'postgres'),
          [
            '-D',
            data,
            '-p',
            String(port),
            '-c',
            'listen_addresses=127.0.0.1',
            '-c',
            `unix_socket_directories=${dir}`,
            '-c',
            'fsync=off',
            '-c',
            'synchronous_commit=off',
            '-c',
            'full_page_writes=off',
            '-c',
            'shared_buffers=16MB',
            '-c',
            'max_connections=100',
            '-c',
            'deadlock_timeout=100ms',
          ],
          { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], ...owner },
        );
        if (await ready(child, log)) {
          return new PostgresServer(port, dir, child, log, Math.round(performance.now() - began));
        }
        const output = log.join('');
        if (attempt >= 3 || !/could not bind|Address already in use/.test(output)) {
          throw new Error(`postgres did not start:\n${output}`);
        }
      }
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** A new empty database (UTF-8, en-US collation unless told) and its URL. */
  async createDatabase(name: string, options: CreateDatabaseOptions = {}): Promise<string> {
    if (!DATABASE_NAME.test(name)) throw new Error(`not a plain database name: ${name}`);
    const collation = options.collation ?? 'en-US';
    const locale =
      collation === 'C'
        ? "LOCALE 'C'"
        : `LOCALE_PROVIDER icu ICU_LOCALE ${escapeLiteral(collation)} LOCALE 'C'`;
    await runOn(this.url, `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' ${locale}`);
    return this.urlFor(name);
  }

  /**
   * A new, empty schema in a database of this server (one per collation, created on first use), as a
   * URL whose connections see only that schema: a store of the test's own for the price of CREATE
   * SCHEMA (about 1 ms) rather than CREATE DATABASE (50–250 ms on a busy 2-core machine).
   */
  async createSchema(options: CreateDatabaseOptions = {}): Promise<string> {
    const collation = options.collation ?? 'en-US';
    let database = this.#databases.get(collation);
    if (!database) {
      database = this.createDatabase(`shared_${this.#databases.size + 1}`, options);
      this.#databases.set(collation, database);
    }
    const schema = `test_${++this.#schemas}`;
    const url = await database;
    await runOn(url, `CREATE SCHEMA ${schema}`);
    return `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  }

  /** Fast shutdown (open connections are cut), then the directory goes. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  /** What the server logged, for a failing test's message. */
  get log(): string {
    return this.#log.join('');
  }

  async #stop(): Promise<void> {
    const child = this.#process;
    process.off('exit', this.#killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.ref();
      (child.stderr as Socket).ref();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGINT');
      });
    }
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/** The newest Debian server package's binaries, or the override, or whatever PATH has. */
function postgresBinDir(): string {
  const override = process.env.DOTM_TEST_POSTGRES_BIN;
  if (override) return override;
  const versions = existsSync(DEBIAN_BINARIES)
    ? readdirSync(DEBIAN_BINARIES)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(DEBIAN_BINARIES, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return join(DEBIAN_BINARIES, versions[0], 'bin');
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, postgres) not found: install the Debian package postgresql ' +
      '(apt-get install postgresql), or set DOTM_TEST_POSTGRES_BIN to their folder',
  );
}

/** The user the server runs as when the tests run as root; undefined to run it as ourselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  const fields = line?.split(':');
  if (!fields || fields.length < 4) {
    throw new Error('running as root, PostgreSQL needs the `postgres` user (the Debian package creates it)');
  }
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** One statement on a connection of its own: one left open would keep a test process from ending. */
async function runOn(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function runToEnd(command: string, args: string[], options: SpawnOptions): Promise<void> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  if (code !== 0) throw new Error(`${command} exited with ${code}:\n${output}`);
}

/** Resolves true once the server accepts connections, false if it exited first. */
function ready(child: ChildProcess, log: string[]): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`postgres did not become ready in 20 s:\n${log.join('')}`));
    }, 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      log.push(text);
      if (log.length > 200) log.splice(0, log.length - 200);
      seen = (seen + text).slice(-200);
      if (seen.includes(READY)) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
