import { readFileSync } from 'node:fs';
import { ConfigError } from './ConfigError.ts';
import type { DeepPartial, DotmConfig } from './DotmConfig.ts';
import { referenceConfig } from './reference.ts';

export interface LoadConfigOptions {
  /** Path of a JSON file shaped like the reference config. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Highest precedence: what command-line flags set. */
  overrides?: DeepPartial<DotmConfig>;
}

/** Settings whose values come from a fixed set; anything else is refused with the list. */
const CHOICES: Record<string, readonly string[]> = {
  'log.level': ['debug', 'info', 'warn', 'error', 'silent'],
  'log.format': ['pretty', 'json'],
  'cluster.state': ['memory', 'redis'],
  'media.publisherCongestionControl': ['transport-cc', 'remb'],
  'database.engine': ['sqlite', 'postgres'],
  'controller.placementPolicy': ['least-loaded', 'region-aware', 'pack', 'spread'],
};

/** Settings that are maps with keys of the user's choosing, checked whole rather than key by key. */
const MAPS: Record<string, (where: string, value: unknown, origin: string) => unknown> = {
  'controller.regionDistances': checkRegionDistances,
};

const PORTS = new Set(['controller.port', 'node.port', 'node.rtcMinPort', 'node.rtcMaxPort']);

export function loadConfig(options: LoadConfigOptions = {}): DotmConfig {
  const config = structuredClone(referenceConfig) as unknown as Record<string, unknown>;
  if (options.file) merge(config, readConfigFile(options.file), 'file');
  merge(config, fromEnvironment(options.env ?? process.env), 'environment');
  if (options.overrides) merge(config, options.overrides as Record<string, unknown>, 'flags');
  const result = config as unknown as DotmConfig;
  checkConsistency(result);
  return result;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isPlainObject(parsed)) throw new Error('the top level must be an object');
    return parsed;
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** DOTM_CONTROLLER_API_KEYS → controller.apiKeys, by matching against the reference's keys. */
function fromEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [section, fields] of Object.entries(referenceConfig)) {
    for (const key of Object.keys(fields as object)) {
      const name = `DOTM_${snake(section)}_${snake(key)}`;
      const raw = env[name];
      if (raw === undefined || raw === '') continue;
      const reference = (fields as Record<string, unknown>)[key];
      const target = (out[section] ?? {}) as Record<string, unknown>;
      target[key] = parseEnvValue(name, raw, reference);
      out[section] = target;
    }
  }
  return out;
}

function parseEnvValue(name: string, raw: string, reference: unknown): unknown {
  if (typeof reference === 'number') return raw.trim() === '' ? Number.NaN : Number(raw);
  if (typeof reference === 'boolean') {
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new ConfigError(`${name}=${raw}: expected true or false`);
  }
  if (isPlainObject(reference)) {
    try {
      return JSON.parse(raw);
    } catch (error) {
      throw new ConfigError(`${name} is not a valid JSON object: ${(error as Error).message}`);
    }
  }
  if (Array.isArray(reference)) {
    if (raw.trim().startsWith('[')) {
      try {
        return JSON.parse(raw);
      } catch (error) {
        throw new ConfigError(`${name} is not a valid JSON array: ${(error as Error).message}`);
      }
    }
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }
  return raw;
}

function merge(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  origin: string,
  path = '',
): void {
  for (const [key, value] of Object.entries(source)) {
    const where = path ? `${path}.${key}` : key;
    if (value === undefined) continue;
    if (!(key in target)) {
      throw new ConfigError(`unknown setting "${where}" (from ${origin}); see src/config/reference.ts`);
    }
    const current = target[key];
    const checkMap = MAPS[where];
    if (checkMap) {
      target[key] = checkMap(where, value, origin);
      continue;
    }
    if (isPlainObject(current)) {
      if (!isPlainObject(value))
        throw new ConfigError(`setting "${where}" (from ${origin}) must be an object`);
      merge(current, value, origin, where);
      continue;
    }
    target[key] = checkValue(where, value, current, origin);
  }
}

function checkValue(where: string, value: unknown, reference: unknown, origin: string): unknown {
  const shown = JSON.stringify(value);
  if (typeof reference === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(
        `setting "${where}" (from ${origin}) must be a non-negative number, got ${shown}`,
      );
    }
    if (PORTS.has(where) && (!Number.isInteger(value) || value > 65535)) {
      throw new ConfigError(`setting "${where}" (from ${origin}) must be a port 0..65535, got ${shown}`);
    }
    return value;
  }
  if (typeof reference === 'string') {
    if (typeof value !== 'string')
      throw new ConfigError(`setting "${where}" (from ${origin}) must be a string, got ${shown}`);
    const choices = CHOICES[where];
    if (choices && !choices.includes(value)) {
      throw new ConfigError(
        `setting "${where}" (from ${origin}) must be one of ${choices.join(', ')}; got ${shown}`,
      );
    }
    return value;
  }
  if (Array.isArray(reference)) {
    if (!Array.isArray(value))
      throw new ConfigError(`setting "${where}" (from ${origin}) must be an array, got ${shown}`);
    return value;
  }
  if (typeof reference === 'boolean' && typeof value !== 'boolean') {
    throw new ConfigError(`setting "${where}" (from ${origin}) must be true or false, got ${shown}`);
  }
  return value;
}

/** { "eu-west": { "eu-central": 1 } }: region → region → a non-negative distance. */
function checkRegionDistances(where: string, value: unknown, origin: string): unknown {
  const rule = `setting "${where}" (from ${origin}) must map regions to { region: distance ≥ 0 }`;
  if (!isPlainObject(value)) throw new ConfigError(`${rule}, got ${JSON.stringify(value)}`);
  for (const [from, row] of Object.entries(value)) {
    if (!isPlainObject(row)) throw new ConfigError(`${rule}; "${from}" is ${JSON.stringify(row)}`);
    for (const [to, distance] of Object.entries(row)) {
      if (typeof distance !== 'number' || !Number.isFinite(distance) || distance < 0) {
        throw new ConfigError(`${rule}; "${from}" → "${to}" is ${JSON.stringify(distance)}`);
      }
    }
  }
  return value;
}

function checkConsistency(config: DotmConfig): void {
  const { packHeadroom } = config.controller;
  if (!(packHeadroom > 0 && packHeadroom <= 1)) {
    throw new ConfigError(
      `controller.packHeadroom must be a share of capacity, 0 < x ≤ 1 (0.8 = 80 %), got ${packHeadroom}`,
    );
  }
  for (const key of ['defragmentMaxUtilization', 'defragmentTargetUtilization'] as const) {
    const share = config.controller[key];
    if (!(share >= 0 && share <= 1))
      throw new ConfigError(`controller.${key} must be a share of capacity, 0 ≤ x ≤ 1, got ${share}`);
  }
  for (const key of ['migrationConnectTimeoutMs', 'migrationHandoverMs', 'defragmentIntervalMs'] as const) {
    const ms = config.controller[key];
    if (!(Number.isInteger(ms) && ms >= 0))
      throw new ConfigError(`controller.${key} must be a whole number of milliseconds ≥ 0, got ${ms}`);
  }
  if (config.node.rtcMinPort > config.node.rtcMaxPort) {
    throw new ConfigError(
      `node.rtcMinPort (${config.node.rtcMinPort}) is above node.rtcMaxPort (${config.node.rtcMaxPort})`,
    );
  }
  if (config.start.nodes < 1 || !Number.isInteger(config.start.nodes)) {
    throw new ConfigError(`start.nodes must be a whole number ≥ 1, got ${config.start.nodes}`);
  }
  if (!Number.isInteger(config.stats.sampleIntervalMs) || config.stats.sampleIntervalMs < 1000) {
    throw new ConfigError(
      `stats.sampleIntervalMs must be a whole number of milliseconds ≥ 1000, got ${config.stats.sampleIntervalMs}`,
    );
  }
  for (const flag of config.node.workerV8Flags) {
    if (typeof flag !== 'string' || !/^--[a-z0-9-]+(=\S+)?$/.test(flag))
      throw new ConfigError(
        `node.workerV8Flags must hold flags like --max-semi-space-size=2 (node --v8-options lists them), got ${JSON.stringify(flag)}`,
      );
  }
  const arenas = config.node.workerMallocArenaMax;
  if (!(Number.isInteger(arenas) && arenas >= 0))
    throw new ConfigError(
      `node.workerMallocArenaMax must be a whole number ≥ 0 (0 = as the environment sets it), got ${arenas}`,
    );
  if (config.node.workers !== 0 && !Number.isInteger(config.node.workers)) {
    throw new ConfigError(
      `node.workers must be a whole number (0 = one per core), got ${config.node.workers}`,
    );
  }
}

function snake(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
