import type { FakeMediaStreamTrack } from './FakeMediaStreamTrack.ts';

let nextStreamId = 1;

export class FakeMediaStream {
  readonly id = `stream-${nextStreamId++}`;
  readonly #tracks: FakeMediaStreamTrack[];

  constructor(tracks: FakeMediaStreamTrack[] = []) {
    this.#tracks = [...tracks];
  }

  getTracks(): FakeMediaStreamTrack[] {
    return [...this.#tracks];
  }
  getAudioTracks(): FakeMediaStreamTrack[] {
    return this.#tracks.filter((track) => track.kind === 'audio');
  }
  getVideoTracks(): FakeMediaStreamTrack[] {
    return this.#tracks.filter((track) => track.kind === 'video');
  }
}
