import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/ConfigError.ts';
import { loadConfig } from '../../src/config/loadConfig.ts';
import { quietLogger } from '../../src/log/Logger.ts';
import { MediaWorkerHandle } from '../../src/node/MediaWorkerHandle.ts';
import type { WorkerStartOptions } from '../../src/node/worker/workerProtocol.ts';

function startOptions(v8Flags: string[]): WorkerStartOptions {
  const media = loadConfig({ env: {} }).media;
  return {
    index: 0,
    v8Flags,
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
