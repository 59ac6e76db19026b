import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../../src/config/ConfigError.ts';
import { loadConfig } from '../../../src/config/loadConfig.ts';

test('placement defaults: least-loaded, no region distances, pack to 80 %', () => {
  const { controller } = loadConfig({ env: {} });
  assert.equal(controller.placementPolicy, 'least-loaded');
  assert.deepEqual(controller.regionDistances, {});
  assert.equal(controller.packHeadroom, 0.8);
});

test('every policy can be chosen; anything else is refused with the list', () => {
  for (const policy of ['least-loaded', 'region-aware', 'pack', 'spread'] as const) {
    assert.equal(
      loadConfig({ env: { DOTM_CONTROLLER_PLACEMENT_POLICY: policy } }).controller.placementPolicy,
      policy,
    );
  }
  assert.throws(
    () => loadConfig({ env: { DOTM_CONTROLLER_PLACEMENT_POLICY: 'random' } }),
    (error: Error) =>
      error instanceof ConfigError && /least-loaded, region-aware, pack, spread/.test(error.message),
  );
});

test('region distances are a free-form map, from flags or the environment (JSON)', () => {
  const distances = { 'eu-west': { 'eu-central': 1, 'us-east': 5 } };
  assert.deepEqual(
    loadConfig({ env: {}, overrides: { controller: { regionDistances: distances } } }).controller
      .regionDistances,
    distances,
  );
  assert.deepEqual(
    loadConfig({ env: { DOTM_CONTROLLER_REGION_DISTANCES: JSON.stringify(distances) } }).controller
      .regionDistances,
    distances,
  );
  for (const bad of [
    '{"eu-west": 3}',
    '{"eu-west": {"us-east": -1}}',
    '{"eu-west": {"us-east": "far"}}',
    '[]',
    '{',
  ]) {
    assert.throws(() => loadConfig({ env: { DOTM_CONTROLLER_REGION_DISTANCES: bad } }), ConfigError, bad);
  }
});

test('the pack headroom is a share of capacity, 0 < x ≤ 1', () => {
  assert.equal(loadConfig({ env: { DOTM_CONTROLLER_PACK_HEADROOM: '0.6' } }).controller.packHeadroom, 0.6);
  assert.equal(loadConfig({ env: { DOTM_CONTROLLER_PACK_HEADROOM: '1' } }).controller.packHeadroom, 1);
  for (const bad of ['0', '1.5', 'x']) {
    assert.throws(() => loadConfig({ env: { DOTM_CONTROLLER_PACK_HEADROOM: bad } }), ConfigError, bad);
  }
});

test('drain and defragment settings: defaults, the environment, and refusals naming the setting', () => {
  const { controller } = loadConfig({ env: {} });
  assert.equal(controller.region, '');
  assert.equal(controller.migrationConnectTimeoutMs, 5000);
  assert.equal(controller.migrationHandoverMs, 4000);
  assert.equal(controller.defragmentIntervalMs, 0, 'defragmenting is off unless asked for');
  const set = loadConfig({
    env: {
      DOTM_CONTROLLER_REGION: 'eu-west',
      DOTM_CONTROLLER_DEFRAGMENT_INTERVAL_MS: '30000',
      DOTM_CONTROLLER_DEFRAGMENT_TARGET_UTILIZATION: '0.5',
    },
  }).controller;
  assert.equal(set.region, 'eu-west');
  assert.equal(set.defragmentIntervalMs, 30000);
  assert.equal(set.defragmentTargetUtilization, 0.5);
  assert.throws(
    () => loadConfig({ env: { DOTM_CONTROLLER_DEFRAGMENT_MAX_UTILIZATION: '1.5' } }),
    (error: Error) =>
      error instanceof ConfigError && /controller\.defragmentMaxUtilization/.test(error.message),
  );
  assert.throws(
    () => loadConfig({ env: { DOTM_CONTROLLER_MIGRATION_HANDOVER_MS: '-1' } }),
    (error: Error) => error instanceof ConfigError && /controller\.migrationHandoverMs/.test(error.message),
  );
});
