import type { FakeMediaStreamTrack } from './FakeMediaStreamTrack.ts';

let nextStreamId = 1;

export class FakeMediaStream {
  readonly id = `stream-${nextStreamId++}`;
  readonly #tracks: FakeMediaStreamTrack[];

  constructor(tracks: FakeMediaStreamTrack[] = []) {
    this.#tracks = [...tracks];
  }

  addTrack(track: FakeMediaStreamTrack): void {
    if (!this.#tracks.includes(track)) this.#tracks.push(track);
  }
  removeTrack(track: FakeMediaStreamTrack): void {
    const index = this.#tracks.indexOf(track);
    if (index >= 0) this.#tracks.splice(index, 1);
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
