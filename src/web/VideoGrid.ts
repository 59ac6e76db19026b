import type { StreamKind } from '../client/index.ts';
import { avatarColour, h, icon, initials } from './dom.ts';

/** Everything a tile shows; the grid works out what changed. */
export interface TileModel {
  key: string;
  streamId: string;
  participantId: string;
  kind: StreamKind;
  name: string;
  local: boolean;
  mediaStream: MediaStream | undefined;
  hasAudio: boolean;
  audioMuted: boolean;
  videoMuted: boolean;
  reconnecting: boolean;
}

interface Tile {
  element: HTMLElement;
  video: HTMLVideoElement;
  label: HTMLElement;
  avatar: HTMLElement;
  status: HTMLElement;
  model: TileModel | undefined;
}

/** One tile per stream: remote cameras and screens, and our own previews (muted, camera mirrored). */
export class VideoGrid {
  readonly #container: HTMLElement;
  readonly #tiles = new Map<string, Tile>();
  readonly #onAutoplayBlocked: () => void;
  /** Set once the browser refused to play sound without a click: new tiles start muted too. */
  #soundBlocked = false;

  constructor(container: HTMLElement, onAutoplayBlocked: () => void) {
    this.#container = container;
    this.#onAutoplayBlocked = onAutoplayBlocked;
  }

  upsert(model: TileModel): void {
    let tile = this.#tiles.get(model.key);
    if (!tile) {
      tile = this.#createTile();
      this.#tiles.set(model.key, tile);
      this.#container.append(tile.element);
    }
    const previous = tile.model;
    tile.model = model;
    const { element, video } = tile;
    element.dataset.streamId = model.streamId;
    element.dataset.participantId = model.participantId;
    element.dataset.kind = model.kind;
    element.dataset.local = String(model.local);
    element.dataset.audioMuted = String(model.audioMuted);
    element.dataset.videoMuted = String(model.videoMuted);
    element.dataset.hasMedia = String(model.mediaStream !== undefined);
    const what = model.kind === 'screen' ? 'screen' : 'camera';
    const owner = model.local ? 'Your' : `${model.name}’s`;
    element.setAttribute('aria-label', `${owner} ${what}`);
    video.setAttribute('aria-label', `${owner} ${what}`);

    if (previous?.name !== model.name || previous.participantId !== model.participantId) {
      tile.avatar.textContent = initials(model.name);
      tile.avatar.style.setProperty('--avatar', avatarColour(model.participantId));
    }
    this.#renderLabel(tile.label, model);
    tile.status.hidden = !model.reconnecting;

    video.muted = model.local || this.#soundBlocked;
    if (video.srcObject !== (model.mediaStream ?? null)) {
      video.srcObject = model.mediaStream ?? null;
      if (model.mediaStream) this.#play(video, model.local);
    }
  }

  remove(key: string): void {
    const tile = this.#tiles.get(key);
    if (!tile) return;
    tile.video.srcObject = null;
    tile.element.remove();
    this.#tiles.delete(key);
  }

  clear(): void {
    for (const key of [...this.#tiles.keys()]) this.remove(key);
  }

  keys(): string[] {
    return [...this.#tiles.keys()];
  }

  /** After the click the browser wanted: play everyone's sound. */
  unmuteAll(): void {
    this.#soundBlocked = false;
    for (const tile of this.#tiles.values()) {
      if (tile.model?.local) continue;
      tile.video.muted = false;
      void tile.video.play().catch(() => undefined);
    }
  }

  #createTile(): Tile {
    const video = h('video', { autoplay: true, playsinline: true });
    const avatar = h('span', { class: 'avatar' });
    const label = h('figcaption', { class: 'tile-label' });
    const status = h('span', { class: 'tile-state', role: 'status' }, 'Reconnecting…');
    const element = h(
      'figure',
      { class: 'tile', 'data-testid': 'video-tile' },
      video,
      h('div', { class: 'tile-placeholder', 'aria-hidden': 'true' }, avatar),
      label,
      status,
    );
    return { element, video, label, avatar, status, model: undefined };
  }

  #renderLabel(label: HTMLElement, model: TileModel): void {
    const parts: Node[] = [];
    if (model.kind === 'screen') parts.push(icon('screen'));
    const text = model.local
      ? model.kind === 'screen'
        ? 'Your screen'
        : `${model.name} (you)`
      : model.kind === 'screen'
        ? `${model.name}’s screen`
        : model.name;
    parts.push(h('span', { class: 'tile-name' }, text));
    if (model.hasAudio && model.audioMuted) {
      const muted = icon('micOff', 'icon off');
      muted.setAttribute('role', 'img');
      muted.setAttribute('aria-label', 'Microphone muted');
      muted.removeAttribute('aria-hidden');
      parts.push(muted);
    }
    if (model.kind === 'camera' && model.videoMuted) {
      const off = icon('cameraOff', 'icon off');
      off.setAttribute('role', 'img');
      off.setAttribute('aria-label', 'Camera off');
      off.removeAttribute('aria-hidden');
      parts.push(off);
    }
    label.replaceChildren(...parts);
  }

  #play(video: HTMLVideoElement, local: boolean): void {
    video.play().catch((error: unknown) => {
      if (local || (error as { name?: string }).name !== 'NotAllowedError') return;
      // Sound needs a user gesture first (e.g. after a reload): play muted and ask for a click.
      this.#soundBlocked = true;
      video.muted = true;
      void video.play().catch(() => undefined);
      this.#onAutoplayBlocked();
    });
  }
}
