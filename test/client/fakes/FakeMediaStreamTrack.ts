let nextTrackId = 1;

export class FakeMediaStreamTrack extends EventTarget {
  readonly kind: 'audio' | 'video';
  readonly id: string;
  readonly label: string;
  enabled = true;
  contentHint = '';
  readyState: 'live' | 'ended' = 'live';

  constructor(kind: 'audio' | 'video', label = `${kind} ${nextTrackId}`) {
    super();
    this.kind = kind;
    this.id = `track-${nextTrackId++}`;
    this.label = label;
  }

  stop(): void {
    this.readyState = 'ended';
  }

  get stopped(): boolean {
    return this.readyState === 'ended';
  }

  /** What the browser does when the user presses "stop sharing". */
  endByBrowser(): void {
    this.readyState = 'ended';
    this.dispatchEvent(new Event('ended'));
  }
}
