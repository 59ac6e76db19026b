import type { Database, Row } from './Database.ts';
import { num, optionalNum, str } from './rowValues.ts';
import { compareText } from './textOrder.ts';

export const HOUR_MS = 3_600_000;

/** One node's load at one moment, as its heartbeat reported it (src/cluster/NodeReport.ts). */
export interface NodeSample {
  nodeId: string;
  region: string;
  /** The report's time (the node's clock). */
  sampledAt: number;
  /** Share of the node's CPU in use, 0..1; stored to a thousandth. */
  cpu: number;
  memoryBytes: number;
  bitrateInBps: number;
  bitrateOutBps: number;
  packetsInPerSecond: number;
  packetsOutPerSecond: number;
  otms: number;
  subscribers: number;
}

export interface StoredNodeSample extends NodeSample {
  bucketStart: number;
}

interface NodeSampleRow extends Row {
  node_id: string;
  region: string;
  bucket_start: number;
  sampled_at: number;
  cpu_permille: number;
  memory_bytes: number;
  bitrate_in_bps: number;
  bitrate_out_bps: number;
  packets_in_per_second: number;
  packets_out_per_second: number;
  otms: number;
  subscribers: number;
}

/**
 * Node load history. Several controllers sample the same nodes (cluster mode); a sample's key is the
 * node and the sampling bucket its report time falls in, so whoever inserts first wins and the others'
 * inserts do nothing: the history holds one sample per node and bucket however many controllers run.
 */
export class NodeSampleRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Inserts the samples whose (node, bucket) has none yet; returns how many were new. */
  async insertIfAbsent(samples: readonly NodeSample[], bucketMs: number): Promise<number> {
    if (!Number.isSafeInteger(bucketMs) || bucketMs <= 0) throw new RangeError(`bad bucket ${bucketMs}`);
    let inserted = 0;
    for (const sample of samples) {
      const sampledAt = Math.round(sample.sampledAt);
      const { changes } = await this.#db.execute(
        `INSERT INTO node_samples (node_id, bucket_start, sampled_at, region, cpu_permille, memory_bytes,
           bitrate_in_bps, bitrate_out_bps, packets_in_per_second, packets_out_per_second, otms, subscribers)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (node_id, bucket_start) DO NOTHING`,
        [
          sample.nodeId,
          Math.floor(sampledAt / bucketMs) * bucketMs,
          sampledAt,
          sample.region,
          count(Math.min(1000, sample.cpu * 1000)),
          count(sample.memoryBytes),
          count(sample.bitrateInBps),
          count(sample.bitrateOutBps),
          count(sample.packetsInPerSecond),
          count(sample.packetsOutPerSecond),
          count(sample.otms),
          count(sample.subscribers),
        ],
      );
      inserted += changes;
    }
    return inserted;
  }

  /** Samples taken in [from, to), by node (code point order) then time. */
  async list(from: number, to: number): Promise<StoredNodeSample[]> {
    const rows = await this.#db.query<NodeSampleRow>(
      `SELECT node_id, region, bucket_start, sampled_at, cpu_permille, memory_bytes, bitrate_in_bps,
         bitrate_out_bps, packets_in_per_second, packets_out_per_second, otms, subscribers
       FROM node_samples WHERE sampled_at >= ? AND sampled_at < ?`,
      [from, to],
    );
    return rows.map(toSample).sort((a, b) => compareText(a.nodeId, b.nodeId) || a.sampledAt - b.sampledAt);
  }

  /**
   * Sums the samples taken in the hour starting at `hourStart` into node_load_hours, once: an hour
   * already summed is left as it is. Call it only for hours that are over. Returns the nodes added.
   */
  async rollUpHour(hourStart: number): Promise<number> {
    if (hourStart % HOUR_MS !== 0) throw new RangeError(`${hourStart} is not the start of an hour`);
    // The WHERE before ON CONFLICT keeps SQLite from reading ON as a join's (its docs on upsert).
    const { changes } = await this.#db.execute(
      `INSERT INTO node_load_hours (node_id, hour_start, region, samples, cpu_permille_sum, cpu_permille_max,
         memory_bytes_sum, bitrate_in_bps_sum, bitrate_out_bps_sum, otms_sum, subscribers_sum)
       SELECT node_id, CAST(? AS BIGINT), MAX(region), COUNT(*), SUM(cpu_permille), MAX(cpu_permille),
         SUM(memory_bytes), SUM(bitrate_in_bps), SUM(bitrate_out_bps), SUM(otms), SUM(subscribers)
       FROM node_samples WHERE sampled_at >= ? AND sampled_at < ?
       GROUP BY node_id
       ON CONFLICT (node_id, hour_start) DO NOTHING`,
      [hourStart, hourStart, hourStart + HOUR_MS],
    );
    return changes;
  }

  /** The start of the last hour summed, if any. */
  async lastHourRolledUp(): Promise<number | undefined> {
    const row = await this.#db.queryOne('SELECT MAX(hour_start) AS last FROM node_load_hours');
    return optionalNum(row?.last);
  }

  /** The time of the oldest sample kept, if any. */
  async firstSampleAt(): Promise<number | undefined> {
    const row = await this.#db.queryOne('SELECT MIN(sampled_at) AS first FROM node_samples');
    return optionalNum(row?.first);
  }

  /** Forgets hourly sums of hours that began before `before`; returns how many went. */
  async pruneHoursBefore(before: number): Promise<number> {
    const { changes } = await this.#db.execute('DELETE FROM node_load_hours WHERE hour_start < ?', [before]);
    return changes;
  }

  /** Forgets samples taken before `before` (retention); returns how many went. */
  async pruneBefore(before: number): Promise<number> {
    const { changes } = await this.#db.execute('DELETE FROM node_samples WHERE sampled_at < ?', [before]);
    return changes;
  }
}

/** Reports carry floats and, from a confused node, possibly negatives or NaN: stored as counts. */
function count(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

function toSample(row: NodeSampleRow): StoredNodeSample {
  return {
    nodeId: str(row.node_id),
    region: str(row.region),
    bucketStart: num(row.bucket_start),
    sampledAt: num(row.sampled_at),
    cpu: num(row.cpu_permille) / 1000,
    memoryBytes: num(row.memory_bytes),
    bitrateInBps: num(row.bitrate_in_bps),
    bitrateOutBps: num(row.bitrate_out_bps),
    packetsInPerSecond: num(row.packets_in_per_second),
    packetsOutPerSecond: num(row.packets_out_per_second),
    otms: num(row.otms),
    subscribers: num(row.subscribers),
  };
}
