import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';

const run = promisify(execFile);

export const CHROMIUM_PATH = process.env.DOTM_CHROMIUM ?? '/usr/bin/chromium';

/** True when the browser tests can run here (CI installs Debian's chromium when it is missing). */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * Flags every dotm browser test needs: the machine has no internet, so Chromium's background
 * services must stay quiet (they otherwise hammer closed ports), and media devices are fake.
 */
const BASE_FLAGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // Background tabs would otherwise throttle timers and rendering while other pages are driven.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--autoplay-policy=no-user-gesture-required',
  // Lets getDisplayMedia (screen share) pick the fake screen without a picker.
  '--auto-select-desktop-capture-source=Entire screen',
  '--enable-usermedia-screen-capturing',
];

export interface LaunchOptions {
  /** A Y4M file the fake camera plays instead of its built-in pattern (which encodes at ~0.35 Mbit/s). */
  fakeVideoFile?: string;
  extraFlags?: string[];
}

export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const args = [...BASE_FLAGS, ...(options.extraFlags ?? [])];
  if (options.fakeVideoFile) args.push(`--use-file-for-fake-video-capture=${options.fakeVideoFile}`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
}

/**
 * A noisy test pattern as Y4M, made once per machine and reused: noise defeats the encoder's
 * compression, so a fake camera playing it really produces the bit rate the encoder is allowed.
 */
export async function noiseY4m(
  options: { width?: number; height?: number; fps?: number; seconds?: number } = {},
) {
  const { width = 1280, height = 720, fps = 30, seconds = 4 } = options;
  const folder = join(tmpdir(), 'dotm-test-media');
  await mkdir(folder, { recursive: true });
  const file = join(folder, `noise-${width}x${height}-${fps}fps-${seconds}s.y4m`);
  const expectedBytes = width * height * 1.5 * fps * seconds;
  const existing = await stat(file).catch(() => undefined);
  if (existing && existing.size >= expectedBytes) return file;
  await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${width}x${height}:rate=${fps},noise=alls=40:allf=t`,
      '-t',
      String(seconds),
      '-pix_fmt',
      'yuv420p',
      file,
    ],
    { maxBuffer: 1 << 20 },
  );
  return file;
}
