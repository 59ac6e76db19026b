/** One RTP packet a publisher is about to send (payload bytes exclude the RTP header). */
export interface SourcePacket {
  kind: 'audio' | 'video';
  payloadBytes: number;
  timestamp: number;
  marker: boolean;
  /** First packet of a video frame: carries the VP8 frame tag (and the keyframe start code). */
  frameStart: boolean;
  keyframe: boolean;
  pictureId: number;
}

export interface PacketSourceOptions {
  /** Total media bit rate (audio + video payload), e.g. the paper's 3 Mbit/s. */
  bitrateBps: number;
  fps: number;
  keyframeIntervalMs: number;
  /** A camera keyframe at 720p/3 Mbit/s is tens of KB; 80 KB is what DESIGN.md calls realistic. */
  keyframeBytes: number;
  /** Largest RTP payload (VP8 descriptor + data), so datagrams stay around 1.1–1.2 KB. */
  maxVideoPayloadBytes: number;
  audioBitrateBps: number;
  /** Keyframe requests (PLI) are honoured at most this often, as an encoder rate-limits them. */
  minKeyframeGapMs: number;
}

export const DEFAULT_PACKET_SOURCE: PacketSourceOptions = {
  bitrateBps: 3_000_000,
  fps: 30,
  keyframeIntervalMs: 4000,
  keyframeBytes: 80_000,
  maxVideoPayloadBytes: 1100,
  audioBitrateBps: 32_000,
  minKeyframeGapMs: 1000,
};

const AUDIO_FRAME_MS = 20;
const AUDIO_SAMPLES_PER_FRAME = 960;
const VIDEO_CLOCK = 90_000;
/** Delta frames vary in size like a real encoder's (±25 %), on average on target. */
const DELTA_JITTER = 0.25;

/**
 * The packet stream of one camera publisher, without an encoder: a VP8 frame every 1/fps (split into
 * equal packets of at most maxVideoPayloadBytes), a keyframe of keyframeBytes every keyframeIntervalMs
 * (and on request), an Opus packet every 20 ms. Delta frames are sized so that audio + video payload
 * average bitrateBps over a keyframe interval.
 */
export class PacketSource {
  readonly #options: PacketSourceOptions;
  readonly #deltaFrameBytes: number;
  #nextVideoMs: number;
  #nextAudioMs: number;
  #videoTimestamp = Math.floor(Math.random() * 0xffffffff);
  #audioTimestamp = Math.floor(Math.random() * 0xffffffff);
  #pictureId = Math.floor(Math.random() * 0x7fff);
  #lastKeyframeMs = -Infinity;
  #keyframeRequested = true;
  keyframesSent = 0;

  constructor(options: PacketSourceOptions, startMs: number) {
    this.#options = options;
    const videoBps = Math.max(options.bitrateBps - options.audioBitrateBps, 100_000);
    const intervalSeconds = options.keyframeIntervalMs / 1000;
    const framesPerInterval = Math.max(2, Math.round(intervalSeconds * options.fps));
    const bytesPerInterval = (videoBps / 8) * intervalSeconds;
    this.#deltaFrameBytes = Math.max(
      200,
      Math.round((bytesPerInterval - options.keyframeBytes) / (framesPerInterval - 1)),
    );
    // Publishers start at a random phase, as real cameras do.
    this.#nextVideoMs = startMs + Math.random() * (1000 / options.fps);
    this.#nextAudioMs = startMs + Math.random() * AUDIO_FRAME_MS;
  }

  get deltaFrameBytes(): number {
    return this.#deltaFrameBytes;
  }

  /** PLI/FIR from the server; returns whether a keyframe will be produced for it. */
  requestKeyframe(nowMs: number): boolean {
    if (nowMs - this.#lastKeyframeMs < this.#options.minKeyframeGapMs) return false;
    this.#keyframeRequested = true;
    return true;
  }

  /** Appends every packet due by `nowMs` (video to `video`, audio to `audio`). */
  poll(nowMs: number, video: SourcePacket[], audio: SourcePacket[]): void {
    const options = this.#options;
    while (this.#nextAudioMs <= nowMs) {
      this.#nextAudioMs += AUDIO_FRAME_MS;
      this.#audioTimestamp = (this.#audioTimestamp + AUDIO_SAMPLES_PER_FRAME) >>> 0;
      audio.push({
        kind: 'audio',
        payloadBytes: Math.round((options.audioBitrateBps / 8) * (AUDIO_FRAME_MS / 1000)),
        timestamp: this.#audioTimestamp,
        marker: false,
        frameStart: true,
        keyframe: false,
        pictureId: 0,
      });
    }
    const frameMs = 1000 / options.fps;
    while (this.#nextVideoMs <= nowMs) {
      const frameAt = this.#nextVideoMs;
      this.#nextVideoMs += frameMs;
      this.#videoTimestamp = (this.#videoTimestamp + Math.round(VIDEO_CLOCK / options.fps)) >>> 0;
      this.#pictureId = (this.#pictureId + 1) & 0x7fff;
      const keyframe =
        this.#keyframeRequested || frameAt - this.#lastKeyframeMs >= options.keyframeIntervalMs;
      if (keyframe) {
        this.#keyframeRequested = false;
        this.#lastKeyframeMs = frameAt;
        this.keyframesSent++;
      }
      const frameBytes = keyframe
        ? options.keyframeBytes
        : Math.round(this.#deltaFrameBytes * (1 + DELTA_JITTER * (2 * Math.random() - 1)));
      const packets = Math.ceil(frameBytes / options.maxVideoPayloadBytes);
      const perPacket = Math.ceil(frameBytes / packets);
      for (let i = 0; i < packets; i++) {
        video.push({
          kind: 'video',
          payloadBytes: perPacket,
          timestamp: this.#videoTimestamp,
          marker: i === packets - 1,
          frameStart: i === 0,
          keyframe,
          pictureId: this.#pictureId,
        });
      }
    }
  }
}
