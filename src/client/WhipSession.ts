import { WebRtcHttpSession, type WebRtcHttpSessionOptions } from './WebRtcHttpSession.ts';

export interface WhipSessionOptions extends WebRtcHttpSessionOptions {
  /**
   * Which m-lines the offer carries. A kind listed without a track yet (camera switched off) still
   * gets its transceiver, so a track can be put in later with replaceTrack, no renegotiation.
   */
  audio: boolean;
  video: boolean;
  audioTrack?: MediaStreamTrack | null;
  videoTrack?: MediaStreamTrack | null;
}

/** Publishes local tracks to an OTM: sendonly transceivers, audio first, then video. */
export class WhipSession extends WebRtcHttpSession {
  protected readonly protocol = 'WHIP';
  protected readonly deletesResourceOnRestart = false;
  readonly #audio: boolean;
  readonly #video: boolean;
  #audioTrack: MediaStreamTrack | null;
  #videoTrack: MediaStreamTrack | null;
  #audioSender: RTCRtpSender | undefined;
  #videoSender: RTCRtpSender | undefined;

  constructor(options: WhipSessionOptions) {
    super(options);
    this.#audio = options.audio;
    this.#video = options.video;
    this.#audioTrack = options.audioTrack ?? null;
    this.#videoTrack = options.videoTrack ?? null;
  }

  /**
   * Swaps what a sender transmits without renegotiating; `null` sends nothing (camera off). The
   * track is also what a later new resource (ICE fallback, moved stream) starts with.
   */
  async replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    if (kind === 'audio') this.#audioTrack = track;
    else this.#videoTrack = track;
    const sender = kind === 'audio' ? this.#audioSender : this.#videoSender;
    await sender?.replaceTrack(track);
  }

  protected addTransceivers(pc: RTCPeerConnection): void {
    this.#audioSender = this.#audio
      ? pc.addTransceiver(this.#audioTrack ?? 'audio', { direction: 'sendonly' }).sender
      : undefined;
    this.#videoSender = this.#video
      ? pc.addTransceiver(this.#videoTrack ?? 'video', { direction: 'sendonly' }).sender
      : undefined;
  }
}
