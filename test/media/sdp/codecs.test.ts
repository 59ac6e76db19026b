import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canReceiveSource,
  describeOfferedCodecs,
  fmtpParameters,
  h264PacketizationMode,
  h264Profile,
  h264PublishScore,
  isUsablePublishCodec,
} from '../../../src/media/sdp/codecs.ts';
import type { CodecParameters } from '../../../src/media/sdp/types.ts';

function codec(name: string, clockRate: number, fmtp?: string, channels?: number): CodecParameters {
  return { payloadType: 96, name, clockRate, fmtp, channels, rtcpFeedback: [] };
}

describe('codec helpers', () => {
  it('classifies H264 profile-level-ids like libwebrtc', () => {
    const cases: Array<[string | undefined, string | undefined]> = [
      ['profile-level-id=42e01f', 'constrained-baseline'],
      ['profile-level-id=42C01F', 'constrained-baseline'],
      ['profile-level-id=4de01f', 'constrained-baseline'],
      ['profile-level-id=42001f', 'baseline'],
      ['profile-level-id=4d001f', 'main'],
      ['profile-level-id=64001f', 'high'],
      ['profile-level-id=640c1f', 'constrained-high'],
      ['profile-level-id=f4001f', 'predictive-high-444'],
      [undefined, 'baseline'],
      ['packetization-mode=1', 'baseline'],
      ['profile-level-id=zz', undefined],
      ['profile-level-id=7a001f', undefined],
    ];
    for (const [fmtp, expected] of cases) assert.equal(h264Profile(fmtp), expected, fmtp);
  });

  it('reads fmtp parameters case-insensitively by key', () => {
    assert.deepEqual(
      [...fmtpParameters('Packetization-Mode=1; profile-level-id=42e01f;flag').entries()],
      [
        ['packetization-mode', '1'],
        ['profile-level-id', '42e01f'],
        ['flag', ''],
      ],
    );
    assert.equal(h264PacketizationMode(undefined), 0);
    assert.equal(h264PacketizationMode('packetization-mode=1'), 1);
  });

  it('scores publisher H264 towards 42e01f', () => {
    assert.ok(h264PublishScore('profile-level-id=42e01f') > h264PublishScore('profile-level-id=42c01f'));
    assert.ok(h264PublishScore('profile-level-id=42c01f') > h264PublishScore('profile-level-id=42001f'));
    assert.ok(h264PublishScore('profile-level-id=42001f') > h264PublishScore('profile-level-id=64001f'));
  });

  it('knows which publisher codecs are forwardable', () => {
    assert.equal(isUsablePublishCodec(codec('opus', 48000, undefined, 2)), true);
    assert.equal(isUsablePublishCodec(codec('opus', 16000)), false);
    assert.equal(isUsablePublishCodec(codec('H264', 90000, 'packetization-mode=1')), true);
    assert.equal(isUsablePublishCodec(codec('H264', 90000, 'packetization-mode=0')), false);
    assert.equal(isUsablePublishCodec(codec('rtx', 90000, 'apt=96')), false);
    assert.equal(isUsablePublishCodec(codec('red', 48000)), false);
    assert.equal(isUsablePublishCodec(codec('PCMU', 8000)), true);
  });

  it('matches a source to what a viewer can decode', () => {
    const opus = { name: 'opus', clockRate: 48000, channels: 2 };
    assert.equal(canReceiveSource(codec('OPUS', 48000, undefined, 2), opus), true);
    assert.equal(
      canReceiveSource(codec('opus', 48000), opus),
      false,
      'mono opus rtpmap is not RFC 7587 opus',
    );
    assert.equal(canReceiveSource(codec('VP8', 90000), { name: 'vp8', clockRate: 90000 }), true);
    assert.equal(canReceiveSource(codec('VP8', 90000), { name: 'VP9', clockRate: 90000 }), false);
    assert.equal(
      canReceiveSource(codec('VP9', 90000), { name: 'VP9', clockRate: 90000, fmtp: 'profile-id=0' }),
      true,
    );
    assert.equal(
      canReceiveSource(codec('VP9', 90000, 'profile-id=2'), {
        name: 'VP9',
        clockRate: 90000,
        fmtp: 'profile-id=0',
      }),
      false,
    );
    const h264 = { name: 'H264', clockRate: 90000, fmtp: 'profile-level-id=42e01f;packetization-mode=1' };
    assert.equal(
      canReceiveSource(codec('H264', 90000, 'packetization-mode=1;profile-level-id=42e034'), h264),
      true,
    );
    assert.equal(
      canReceiveSource(codec('H264', 90000, 'packetization-mode=0;profile-level-id=42e01f'), h264),
      false,
    );
    assert.equal(
      canReceiveSource(codec('H264', 90000, 'packetization-mode=1;profile-level-id=42001f'), h264),
      false,
    );
  });

  it('describes offered codecs briefly', () => {
    const many = Array.from({ length: 12 }, (_, i) => codec(`C${i}`, 90000));
    assert.equal(describeOfferedCodecs([codec('rtx', 90000, 'apt=96')]), 'nothing usable');
    assert.match(describeOfferedCodecs(many), /C7\/90000 and 4 more$/);
  });
});
