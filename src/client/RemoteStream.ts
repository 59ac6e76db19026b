import type { StreamInfo, StreamKind } from '../protocol/roomSignalling.ts';
import type { MediaSessionState } from './WebRtcHttpSession.ts';
import type { WhepSession } from './WhepSession.ts';

/**
 * Another participant's stream and our subscription to it. DotmClient owns and mutates it; apps
 * read `mediaStream` (set once subscribed, replaced when the stream moves) and the mute flags.
 */
export class RemoteStream {
  #info: StreamInfo;
  #mediaStream: MediaStream | undefined;
  #session: WhepSession | undefined;
  #announced = false;

  constructor(info: StreamInfo) {
    this.#info = info;
  }

  get info(): StreamInfo {
    return this.#info;
  }
  get streamId(): string {
    return this.#info.streamId;
  }
  get participantId(): string {
    return this.#info.participantId;
  }
  get kind(): StreamKind {
    return this.#info.kind;
  }
  get audioMuted(): boolean {
    return this.#info.audioMuted;
  }
  get videoMuted(): boolean {
    return this.#info.videoMuted;
  }
  get mediaStream(): MediaStream | undefined {
    return this.#mediaStream;
  }
  get state(): MediaSessionState {
    return this.#session?.state ?? 'new';
  }
  get session(): WhepSession | undefined {
    return this.#session;
  }

  /** @internal Returns whether the published state (mute flags, node) differs from before. */
  update(info: StreamInfo): boolean {
    const before = this.#info;
    this.#info = info;
    return (
      before.audioMuted !== info.audioMuted ||
      before.videoMuted !== info.videoMuted ||
      before.nodeId !== info.nodeId
    );
  }

  /** @internal */
  attach(session: WhepSession): void {
    this.#session = session;
  }

  /** @internal Returns true the first time: the moment to announce the stream. */
  setMediaStream(mediaStream: MediaStream): boolean {
    this.#mediaStream = mediaStream;
    const first = !this.#announced;
    this.#announced = true;
    return first;
  }
}
