import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SdpError, type SdpErrorCode } from '../../../src/media/sdp/SdpError.ts';
import type { LocalIceDtls, SourceTrack } from '../../../src/media/sdp/types.ts';

export const FIXTURES = {
  chromiumCamera: 'chromium-sendonly-camera.sdp',
  chromiumSimulcast: 'chromium-simulcast.sdp',
  chromiumWhep: 'chromium-recvonly-whep.sdp',
  obsWhip: 'obs-whip.sdp',
  gstreamerWhip: 'gstreamer-whip.sdp',
} as const;

export function fixture(name: string): string {
  return readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');
}

export const LOCAL: LocalIceDtls = {
  iceUfrag: 'dotmUfrag',
  icePwd: 'dotmPasswordForTests0123',
  fingerprint: {
    algorithm: 'sha-256',
    value: '0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9',
  },
  // TEST-NET-1: werift may try to reach it after setRemoteDescription, and nothing answers.
  candidates: [
    { ip: '192.0.2.10', port: 40000, protocol: 'udp' },
    { ip: '2001:db8::10', port: 40000, protocol: 'udp' },
  ],
};

export const CAMERA_SOURCES: SourceTrack[] = [
  {
    kind: 'audio',
    codec: { name: 'opus', clockRate: 48000, channels: 2, fmtp: 'minptime=10;useinbandfec=1' },
    ssrc: 0x11111111,
    cname: 'otm-camera',
    streamId: 'camera-stream',
    trackId: 'camera-audio',
  },
  {
    kind: 'video',
    codec: { name: 'VP8', clockRate: 90000 },
    ssrc: 0x22222222,
    cname: 'otm-camera',
    streamId: 'camera-stream',
    trackId: 'camera-video',
  },
];

export function assertSdpError(action: () => unknown, code: SdpErrorCode, message?: RegExp): SdpError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SdpError, `expected SdpError(${code}), got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message !== undefined) assert.match(caught.message, message);
  return caught;
}

/** The lines of one m-section of an SDP, by index. */
export function mediaSectionLines(sdp: string, index: number): string[] {
  const sections = sdp.split('\r\nm=');
  assert.ok(index + 1 < sections.length, `no m-section #${index}`);
  return `m=${sections[index + 1]}`.split('\r\n').filter((line) => line !== '');
}

/** Deterministic PRNG (mulberry32), so a fuzz failure can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
