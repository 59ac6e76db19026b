import { WebRtcHttpSession, type WebRtcHttpSessionOptions } from './WebRtcHttpSession.ts';

export type MediaStreamConstructor = new (tracks: MediaStreamTrack[]) => MediaStream;

export interface WhepSessionOptions extends WebRtcHttpSessionOptions {
  audio: boolean;
  video: boolean;
  MediaStream?: MediaStreamConstructor;
  /** Called after every negotiation (the first and each new resource) with that connection's media. */
  onMediaStream?: (stream: MediaStream) => void;
}

/** Receives one stream from an OTM: recvonly transceivers, audio first, then video. */
export class WhepSession extends WebRtcHttpSession {
  protected readonly protocol = 'WHEP';
  protected readonly deletesResourceOnRestart = true;
  readonly #audio: boolean;
  readonly #video: boolean;
  readonly #MediaStream: MediaStreamConstructor | undefined;
  readonly #onMediaStream: ((stream: MediaStream) => void) | undefined;
  #mediaStream: MediaStream | undefined;

  constructor(options: WhepSessionOptions) {
    super(options);
    this.#audio = options.audio;
    // A stream announcing neither kind is malformed; asking for video keeps the offer valid.
    this.#video = options.video || !options.audio;
    this.#MediaStream = options.MediaStream ?? globalThis.MediaStream;
    this.#onMediaStream = options.onMediaStream;
  }

  get mediaStream(): MediaStream | undefined {
    return this.#mediaStream;
  }

  protected addTransceivers(pc: RTCPeerConnection): void {
    if (this.#audio) pc.addTransceiver('audio', { direction: 'recvonly' });
    if (this.#video) pc.addTransceiver('video', { direction: 'recvonly' });
  }

  protected override onNegotiated(pc: RTCPeerConnection): void {
    // Built from the receivers rather than from ontrack's streams: a WHEP answer need not carry
    // a=msid, and then ontrack would hand out no stream at all.
    const tracks = pc.getTransceivers().map((transceiver) => transceiver.receiver.track);
    if (!this.#MediaStream) return;
    this.#mediaStream = new this.#MediaStream(tracks);
    this.#onMediaStream?.(this.#mediaStream);
  }
}
