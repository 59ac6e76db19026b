import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ControllerPresence, RoomDirectory } from '../RoomDirectory.ts';
import { openRedis, type RedisConnectionOptions } from './redisConnection.ts';

/** Claim: take a free lease or keep our own (renewing it); answer the holder either way. */
const CLAIM = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return holder`;

/** Renew: only leases we still hold; report the others as lost. */
const RENEW = `
local lost = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
  else
    table.insert(lost, i)
  end
end
return lost`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

/** A fenced snapshot write: only while ARGV[1] holds the lease (KEYS[1]), in the same atomic step. */
const SAVE_IF_HOLDER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`;

const DELETE_IF_HOLDER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[2])
return 1`;

/**
 * A command that got no answer in this long fails (ioredis would otherwise wait for ever on a
 * connection whose peer vanished without a reset): a home cut off from Redis must learn it while
 * its leases last, not when TCP gives up.
 */
const COMMAND_TIMEOUT_MS = 1500;

/** The epoch: ours if there was none (a fresh or restarted Redis), else the one there. */
const EPOCH = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then return ARGV[1] end
return redis.call('GET', KEYS[1])`;

/**
 * RoomDirectory over Redis. Leases are keys with a TTL changed only by Lua scripts (compare and
 * set), so a controller that paused past its lease can never overwrite the new home's claim; the
 * lease is also the fencing token of the home's snapshot writes (SAVE_IF_HOLDER).
 * Snapshots live in one hash; controllers' presence like nodes' (key with TTL + index set).
 */
export class RedisRoomDirectory implements RoomDirectory {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: RedisConnectionOptions) {
    this.#redis = openRedis(options.url, 'dotm-room-directory', { commandTimeoutMs: COMMAND_TIMEOUT_MS });
    this.#prefix = options.keyPrefix;
  }

  async claim(room: string, controllerId: string, leaseMs: number): Promise<string> {
    return (await this.#redis.eval(CLAIM, 1, this.#leaseKey(room), controllerId, leaseMs)) as string;
  }

  async renew(rooms: string[], controllerId: string, leaseMs: number): Promise<string[]> {
    if (rooms.length === 0) return [];
    const keys = rooms.map((room) => this.#leaseKey(room));
    const lost = (await this.#redis.eval(RENEW, keys.length, ...keys, controllerId, leaseMs)) as number[];
    return lost.map((i) => rooms[i - 1]!);
  }

  async release(room: string, controllerId: string): Promise<void> {
    await this.#redis.eval(RELEASE, 1, this.#leaseKey(room), controllerId);
  }

  async home(room: string): Promise<string | undefined> {
    return (await this.#redis.get(this.#leaseKey(room))) ?? undefined;
  }

  async saveSnapshot(room: string, snapshot: unknown): Promise<void> {
    await this.#redis.hset(this.#snapshotsKey(), room, JSON.stringify(snapshot));
  }

  async saveSnapshotIfHolder(room: string, snapshot: unknown, holder: string): Promise<boolean> {
    const keys = [this.#leaseKey(room), this.#snapshotsKey()];
    const text = JSON.stringify(snapshot);
    return (await this.#redis.eval(SAVE_IF_HOLDER, 2, ...keys, holder, room, text)) === 1;
  }

  async loadSnapshot(room: string): Promise<unknown | undefined> {
    const text = await this.#redis.hget(this.#snapshotsKey(), room);
    return text === null ? undefined : JSON.parse(text);
  }

  async deleteSnapshot(room: string): Promise<void> {
    await this.#redis.hdel(this.#snapshotsKey(), room);
  }

  async deleteSnapshotIfHolder(room: string, holder: string): Promise<boolean> {
    const keys = [this.#leaseKey(room), this.#snapshotsKey()];
    return (await this.#redis.eval(DELETE_IF_HOLDER, 2, ...keys, holder, room)) === 1;
  }

  async listOrphans(): Promise<string[]> {
    const rooms = await this.#redis.hkeys(this.#snapshotsKey());
    if (rooms.length === 0) return [];
    const homes = await this.#redis.mget(rooms.map((room) => this.#leaseKey(room)));
    return rooms.filter((_, i) => homes[i] === null);
  }

  async listSnapshots(): Promise<Array<{ room: string; snapshot: unknown }>> {
    const all = await this.#redis.hgetall(this.#snapshotsKey());
    return Object.entries(all).map(([room, text]) => ({ room, snapshot: JSON.parse(text) }));
  }

  async epoch(): Promise<string> {
    return (await this.#redis.eval(EPOCH, 1, `${this.#prefix}directory-epoch`, randomUUID())) as string;
  }

  async putController(presence: ControllerPresence, ttlMs: number): Promise<void> {
    await this.#redis
      .multi()
      .set(this.#controllerKey(presence.controllerId), JSON.stringify(presence), 'PX', ttlMs)
      .sadd(this.#controllersKey(), presence.controllerId)
      .exec();
  }

  async removeController(controllerId: string): Promise<void> {
    await this.#redis
      .multi()
      .del(this.#controllerKey(controllerId))
      .srem(this.#controllersKey(), controllerId)
      .exec();
  }

  async listControllers(): Promise<ControllerPresence[]> {
    const ids = await this.#redis.smembers(this.#controllersKey());
    if (ids.length === 0) return [];
    const values = await this.#redis.mget(ids.map((id) => this.#controllerKey(id)));
    const live: ControllerPresence[] = [];
    const gone: string[] = [];
    values.forEach((value, i) => {
      if (value === null) gone.push(ids[i]!);
      else live.push(JSON.parse(value) as ControllerPresence);
    });
    if (gone.length > 0) await this.#redis.srem(this.#controllersKey(), ...gone);
    return live;
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  #leaseKey(room: string): string {
    return `${this.#prefix}room-home:${room}`;
  }

  #snapshotsKey(): string {
    return `${this.#prefix}room-snapshots`;
  }

  #controllerKey(id: string): string {
    return `${this.#prefix}controller:${id}`;
  }

  #controllersKey(): string {
    return `${this.#prefix}controllers`;
  }
}
