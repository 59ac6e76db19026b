import { FakeMediaStream } from './FakeMediaStream.ts';
import { FakeMediaStreamTrack } from './FakeMediaStreamTrack.ts';

/** getUserMedia / getDisplayMedia handing out fake tracks; `failNext` scripts a DOMException. */
export class FakeMediaDevices {
  readonly userMediaCalls: MediaStreamConstraints[] = [];
  readonly displayMediaCalls: (DisplayMediaStreamOptions | undefined)[] = [];
  readonly tracks: FakeMediaStreamTrack[] = [];
  #failures: string[] = [];

  failNext(name: string): void {
    this.#failures.push(name);
  }

  async getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream> {
    this.userMediaCalls.push(constraints);
    this.#maybeFail();
    const tracks: FakeMediaStreamTrack[] = [];
    if (constraints.audio) tracks.push(new FakeMediaStreamTrack('audio', 'microphone'));
    if (constraints.video) tracks.push(new FakeMediaStreamTrack('video', 'camera'));
    this.tracks.push(...tracks);
    return new FakeMediaStream(tracks) as unknown as MediaStream;
  }

  async getDisplayMedia(options?: DisplayMediaStreamOptions): Promise<MediaStream> {
    this.displayMediaCalls.push(options);
    this.#maybeFail();
    const track = new FakeMediaStreamTrack('video', 'screen');
    this.tracks.push(track);
    return new FakeMediaStream([track]) as unknown as MediaStream;
  }

  #maybeFail(): void {
    const failure = this.#failures.shift();
    if (failure) throw new DOMException(`scripted ${failure}`, failure);
  }
}
