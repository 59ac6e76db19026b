import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/ConfigError.ts';
import { loadConfig } from '../../src/config/loadConfig.ts';
import { quietLogger } from '../../src/log/Logger.ts';
import { MediaWorkerHandle } from '../../src/node/MediaWorkerHandle.ts';
import type { WorkerStartOptions } from '../../src/node/worker/workerProtocol.ts';

function startOptions(v8Flags: string[], mallocArenaMax = 1): WorkerStartOptions {
  const media = loadConfig({ env: {} }).media;
  return {
    index: 0,
    v8Flags,
    mallocArenaMax,
    listenIp: '127.0.0.1',
    announcedIp: '127.0.0.1',
    portRange: [40000, 49999],
    udpBufferBytes: media.udpBufferBytes,
    consentTimeoutMs: media.consentTimeoutMs,
    nackCachePackets: media.nackCachePackets,
    keyframeRequestIntervalMs: media.keyframeRequestIntervalMs,
    publisherMaxBitrateBps: media.publisherMaxBitrateBps,
    publisherCongestionControl: media.publisherCongestionControl,
    logLevel: 'error',
  };
}

const noEvents = { onEvent: () => undefined, onExit: () => undefined };

describe('node.workerV8Flags', () => {
  test('defaults to the small young generation and V8 memory saver mode', () => {
    assert.deepEqual(loadConfig({ env: {} }).node.workerV8Flags, [
      '--max-semi-space-size=2',
      '--memory-saver-mode',
    ]);
    assert.deepEqual(
      loadConfig({ env: { DOTM_NODE_WORKER_V8_FLAGS: '--max-semi-space-size=4,--optimize-for-size' } }).node
        .workerV8Flags,
      ['--max-semi-space-size=4', '--optimize-for-size'],
    );
    assert.deepEqual(loadConfig({ env: { DOTM_NODE_WORKER_V8_FLAGS: '[]' } }).node.workerV8Flags, []);
  });

  test('refuses what is not a flag, naming the setting', () => {
    for (const bad of ['max-semi-space-size=2', '--inspect=0.0.0.0:9229 --eval=x', '["--ok", 3]']) {
      assert.throws(
        () => loadConfig({ env: { DOTM_NODE_WORKER_V8_FLAGS: bad } }),
        (error: Error) => error instanceof ConfigError && /node\.workerV8Flags/.test(error.message),
        bad,
      );
    }
  });

  test('the worker process starts with them', async () => {
    const worker = await MediaWorkerHandle.start(
      startOptions(['--max-semi-space-size=2', '--memory-saver-mode']),
      noEvents,
      quietLogger(),
    );
    try {
      const argv = readFileSync(`/proc/${worker.pid}/cmdline`, 'utf8').split('\0');
      assert.ok(argv.includes('--max-semi-space-size=2'), argv.join(' '));
      assert.ok(argv.includes('--memory-saver-mode'), argv.join(' '));
    } finally {
      await worker.close();
    }
  });

  test('a flag Node refuses fails the worker start with a message that points at the setting', async () => {
    await assert.rejects(
      MediaWorkerHandle.start(startOptions(['--no-such-v8-flag']), noEvents, quietLogger()),
      /exited during start \(code 9: .*node\.workerV8Flags\)/,
    );
  });
});

describe('node.workerMallocArenaMax', () => {
  /** The worker's environment as the kernel started it. */
  async function workerEnvironment(mallocArenaMax: number): Promise<string[]> {
    const worker = await MediaWorkerHandle.start(startOptions([], mallocArenaMax), noEvents, quietLogger());
    try {
      return readFileSync(`/proc/${worker.pid}/environ`, 'utf8').split('\0');
    } finally {
      await worker.close();
    }
  }

  test('defaults to one arena; 0 and negatives are checked at load', () => {
    assert.equal(loadConfig({ env: {} }).node.workerMallocArenaMax, 1);
    assert.equal(
      loadConfig({ env: { DOTM_NODE_WORKER_MALLOC_ARENA_MAX: '0' } }).node.workerMallocArenaMax,
      0,
    );
    for (const bad of ['-1', '1.5'])
      assert.throws(
        () => loadConfig({ env: { DOTM_NODE_WORKER_MALLOC_ARENA_MAX: bad } }),
        (error: Error) => error instanceof ConfigError && /node\.workerMallocArenaMax/.test(error.message),
        bad,
      );
  });

  test('the worker process starts with MALLOC_ARENA_MAX set, or with the environment as it is for 0', async () => {
    assert.ok((await workerEnvironment(2)).includes('MALLOC_ARENA_MAX=2'));
    const inherited = process.env.MALLOC_ARENA_MAX;
    const untouched = await workerEnvironment(0);
    assert.deepEqual(
      untouched.filter((entry) => entry.startsWith('MALLOC_ARENA_MAX=')),
      inherited === undefined ? [] : [`MALLOC_ARENA_MAX=${inherited}`],
    );
  });
});
