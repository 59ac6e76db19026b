import type { LogFormat, LogLevel } from '../log/Logger.ts';

/** The whole configuration; every field and its default is documented in `reference.ts`. */
export interface DotmConfig {
  log: { level: LogLevel; format: LogFormat };
  cluster: ClusterConfig;
  controller: ControllerConfig;
  node: NodeConfig;
  media: MediaConfig;
  database: DatabaseConfig;
  portal: PortalConfig;
  stats: StatsConfig;
  start: { nodes: number };
}

export interface DatabaseConfig {
  engine: 'sqlite' | 'postgres';
  sqlitePath: string;
  postgresUrl: string;
}

export interface PortalConfig {
  enabled: boolean;
  defaultSecret: string;
  joinTokenSecret: string;
  joinTokenTtlSeconds: number;
  sweepIntervalMs: number;
  emptyMeetingGraceMs: number;
  unjoinedMeetingExpiryMs: number;
}

export interface StatsConfig {
  enabled: boolean;
  sampleIntervalMs: number;
  sampleRetentionDays: number;
  hourRetentionDays: number;
  recordRooms: boolean;
}

export interface ClusterConfig {
  secret: string;
  state: 'memory' | 'redis';
  redisUrl: string;
  redisKeyPrefix: string;
  nodeTimeoutMs: number;
}

export interface ControllerConfig {
  listenHost: string;
  port: number;
  publicUrl: string;
  apiKeys: string[];
  internalUrl: string;
  tokenSecret: string;
  tokenTtlSeconds: number;
  rejoinGraceMs: number;
  placementPolicy: 'least-loaded' | 'region-aware' | 'pack' | 'spread';
  regionDistances: Record<string, Record<string, number>>;
  packHeadroom: number;
  region: string;
  migrationConnectTimeoutMs: number;
  migrationHandoverMs: number;
  defragmentIntervalMs: number;
  defragmentMaxOtms: number;
  defragmentMaxUtilization: number;
  defragmentTargetUtilization: number;
  iceServers: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  maxBodyBytes: number;
}

export interface NodeConfig {
  id: string;
  region: string;
  listenHost: string;
  port: number;
  publicUrl: string;
  rtcListenIp: string;
  rtcAnnouncedIp: string;
  rtcMinPort: number;
  rtcMaxPort: number;
  workers: number;
  workerV8Flags: string[];
  workerMallocArenaMax: number;
  heartbeatMs: number;
  maxPacketsPerSecond: number;
  maxSubscribers: number;
}

export interface MediaConfig {
  nackCachePackets: number;
  keyframeRequestIntervalMs: number;
  publisherMaxBitrateBps: number;
  publisherCongestionControl: 'transport-cc' | 'remb';
  consentTimeoutMs: number;
  udpBufferBytes: number;
}

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};
