import {
  type ConnectionState,
  type DotmClient,
  DotmError,
  type LocalStream,
  type RemoteStream,
} from '../client/index.ts';
import { ChatPanel } from './ChatPanel.ts';
import { byId, h, type IconName, icon } from './dom.ts';
import { describeError } from './errorText.ts';
import { type ModerationActions, ParticipantList, type ParticipantRow } from './ParticipantList.ts';
import type { Toaster } from './Toaster.ts';
import { type TileModel, VideoGrid } from './VideoGrid.ts';

export interface LeftInfo {
  title: string;
  detail: string;
  /** The meeting's logout URL, when the person is done with it (left, removed, ended) and it has one. */
  logoutUrl?: string;
}

export interface MeetingViewOptions {
  client: DotmClient;
  room: string;
  name: string;
  /** A portal's invitation (from the join link), handed to the controller with the join. */
  joinToken?: string;
  toaster: Toaster;
  /** The meeting is over for this page: left, closed, or the connection could not be kept. */
  onLeft: (info: LeftInfo) => void;
}

const BANNER_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Connection lost. Reconnecting…',
  disconnected: 'Disconnected',
};

/** The meeting screen: wires a DotmClient's events to the grid, the people list, chat and controls. */
export class MeetingView {
  readonly #options: MeetingViewOptions;
  #joined = false;
  readonly #client: DotmClient;
  readonly #grid: VideoGrid;
  readonly #people: ParticipantList;
  readonly #chat: ChatPanel;
  readonly #banner = byId('connection-state');
  readonly #micButton = byId<HTMLButtonElement>('toggle-mic');
  readonly #cameraButton = byId<HTMLButtonElement>('toggle-camera');
  readonly #screenButton = byId<HTMLButtonElement>('share-screen');
  readonly #leaveButton = byId<HTMLButtonElement>('leave');
  readonly #enableAudio = byId<HTMLButtonElement>('enable-audio');
  readonly #copyLink = byId<HTMLButtonElement>('copy-link');
  /** Made here rather than in index.html: shown to moderators only. */
  readonly #endButton = h(
    'button',
    {
      id: 'end-meeting',
      type: 'button',
      class: 'control danger',
      'data-testid': 'end-meeting',
      hidden: true,
    },
    h('span', { class: 'control-icon', 'aria-hidden': 'true' }),
    h('span', { class: 'control-label' }, 'End meeting'),
  );
  readonly #moderation: ModerationActions = {
    mute: (participantId) => {
      this.#client
        .muteParticipant(participantId, { audio: true })
        .catch((error: unknown) => this.#toastError(error));
    },
    remove: (participantId, name) => {
      // No confirm(): browser tests auto-dismiss dialogs; the toast names who was removed instead.
      this.#client.removeParticipant(participantId).then(
        () => this.#options.toaster.show(`${name} was removed from the meeting.`, 'info', 4_000),
        (error: unknown) => this.#toastError(error),
      );
    },
  };
  #removed = false;
  readonly #cleanups: (() => void)[] = [];
  #leaving = false;
  #closedReason: string | undefined;
  #finished = false;

  constructor(options: MeetingViewOptions) {
    this.#options = options;
    this.#client = options.client;
    this.#grid = new VideoGrid(byId('video-grid'), () => {
      this.#enableAudio.hidden = false;
    });
    this.#people = new ParticipantList(byId('participant-list'), byId('participant-count'));
    this.#chat = new ChatPanel({
      list: byId('chat-messages'),
      form: byId<HTMLFormElement>('chat-form'),
      input: byId<HTMLInputElement>('chat-input'),
      send: (text) => this.#client.sendChat(text),
      selfId: () => this.#client.self?.participantId,
      onError: (error) => this.#toastError(error),
    });
    this.#wireClient();
    this.#wireControls();
  }

  async start(): Promise<void> {
    const { client, room, name } = this.#options;
    byId('meeting').hidden = false;
    byId('room-name').textContent = room;
    document.title = `${room} · dotm`;
    this.#grid.clear();
    this.#showConnectionState(
      client.connectionState === 'disconnected' ? 'connecting' : client.connectionState,
    );
    this.#updateControls();
    try {
      const result = await client.join(room, name, { joinToken: this.#options.joinToken });
      this.#joined = true;
      this.#chat.setWelcome(client.meeting?.welcome, client.meeting?.presentation);
      this.#chat.reset(result.chat);
      byId('video-grid').dataset.layout = client.meeting?.layout ?? 'smart';
      // A portal meeting's room is an internal id: its name is what people know it by.
      const title = client.meeting?.meetingName;
      if (title) {
        byId('room-name').textContent = title;
        // The tab keeps the brand a tenant's theme may have put in (theme.ts).
        document.title = document.title.replace(room, title);
      }
    } catch (error) {
      this.#finish({ title: 'Could not join the meeting', detail: describeError(error) });
      return;
    }
    this.#renderAll();
    const locks = client.self?.locks;
    try {
      // A viewer whose camera and microphone are both locked only watches.
      if (!(locks?.camera && locks.microphone)) await client.publishCamera();
    } catch (error) {
      // Watching and chatting still work without a camera or microphone.
      this.#toastError(error);
    }
    this.#updateControls();
  }

  /** Stops listening to the client; the DOM is left for the next view to reuse. */
  dispose(): void {
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#grid.clear();
    this.#enableAudio.hidden = true;
    byId('meeting').hidden = true;
  }

  async leave(): Promise<void> {
    if (this.#leaving || this.#finished) return;
    this.#leaving = true;
    this.#leaveButton.disabled = true;
    await this.#client.leave();
    this.#finish({
      title: 'You left the meeting',
      detail: `Room “${this.#options.room}”`,
      logoutUrl: this.#client.meeting?.logoutUrl,
    });
  }

  #wireClient(): void {
    const client = this.#client;
    const refreshPeople = () => this.#renderParticipants();
    this.#cleanups.push(
      client.on('connectionState', (state) => {
        this.#showConnectionState(state);
        // A join that fails disconnects too; its own answer (why it failed) is the one to show.
        if (state !== 'disconnected' || this.#leaving || !this.#joined) return;
        // Done with the meeting: on to the portal's logout URL. A lost connection is not the end.
        const logoutUrl = client.meeting?.logoutUrl;
        this.#finish(
          this.#removed
            ? { title: 'You were removed from the meeting', detail: 'A moderator removed you.', logoutUrl }
            : this.#closedReason !== undefined
              ? { title: 'The meeting has ended', detail: this.#closedReason, logoutUrl }
              : {
                  title: 'You were disconnected',
                  detail: 'The connection to the meeting could not be kept.',
                },
        );
      }),
      client.on('joined', () => {
        this.#chat.setWelcome(client.meeting?.welcome, client.meeting?.presentation);
        this.#renderAll();
      }),
      client.on('participantJoined', (participant) => {
        // Their stream may have arrived first, its tile labelled before the name was known.
        for (const stream of client.streams) {
          if (stream.participantId === participant.participantId && stream.mediaStream) {
            this.#grid.upsert(this.#remoteTile(stream));
          }
        }
        this.#renderParticipants();
      }),
      client.on('participantLeft', refreshPeople),
      client.on('streamAdded', (stream) => {
        this.#grid.upsert(this.#remoteTile(stream));
        this.#renderParticipants();
      }),
      client.on('streamUpdated', (stream) => {
        this.#grid.upsert(this.#remoteTile(stream));
        this.#renderParticipants();
      }),
      // The tile's "Reconnecting…" badge follows the subscription: on while a moved stream or a
      // changed network is being recovered, off again once media flows.
      client.on('streamStateChanged', (stream) => {
        if (stream.mediaStream) this.#grid.upsert(this.#remoteTile(stream));
      }),
      client.on('streamRemoved', (stream) => {
        this.#grid.remove(remoteKey(stream.streamId));
        this.#renderParticipants();
      }),
      client.on('localStreamPublished', (stream) => this.#showLocal(stream)),
      client.on('localStreamUpdated', (stream) => this.#showLocal(stream)),
      client.on('localStreamStateChanged', (stream) => {
        if (client.localStreams.includes(stream)) this.#grid.upsert(this.#localTile(stream));
      }),
      client.on('localStreamUnpublished', (stream) => {
        this.#grid.remove(localKey(stream));
        this.#updateControls();
        this.#renderParticipants();
      }),
      client.on('chat', (message) => this.#chat.add(message)),
      client.on('roomClosed', (reason) => {
        this.#closedReason = reason;
      }),
      client.on('removed', () => {
        this.#removed = true;
      }),
      client.on('muteRequested', (_by, parts) => {
        const what =
          parts.audio && parts.video ? 'microphone and camera' : parts.audio ? 'microphone' : 'camera';
        this.#options.toaster.show(`A moderator muted your ${what}. You can unmute again.`, 'info', 5_000);
        this.#updateControls();
        this.#renderParticipants();
      }),
      client.on('error', (error) => this.#toastError(error)),
    );
  }

  #wireControls(): void {
    const listen = (element: HTMLElement, handler: () => void) => {
      element.addEventListener('click', handler);
      this.#cleanups.push(() => element.removeEventListener('click', handler));
    };
    listen(this.#micButton, () => {
      this.#client
        .setMicrophoneMuted(!this.#client.microphoneMuted)
        .catch((error) => this.#toastError(error));
      this.#updateControls();
      this.#renderParticipants();
    });
    listen(this.#cameraButton, () => {
      this.#cameraButton.disabled = true;
      this.#client
        .setCameraEnabled(!this.#client.cameraEnabled)
        .catch((error) => this.#toastError(error))
        .finally(() => {
          this.#cameraButton.disabled = false;
          this.#updateControls();
          this.#renderParticipants();
        });
    });
    listen(this.#screenButton, () => void this.#toggleScreen());
    listen(this.#leaveButton, () => void this.leave());
    this.#leaveButton.after(this.#endButton);
    this.#cleanups.push(() => this.#endButton.remove());
    listen(this.#endButton, () => {
      this.#endButton.disabled = true;
      this.#client.endMeeting().catch((error: unknown) => {
        this.#endButton.disabled = false;
        this.#toastError(error);
      });
    });
    listen(this.#enableAudio, () => {
      this.#grid.unmuteAll();
      this.#enableAudio.hidden = true;
    });
    listen(this.#copyLink, () => {
      navigator.clipboard.writeText(location.href).then(
        () => this.#options.toaster.show('Invite link copied.', 'info', 3_000),
        () => this.#options.toaster.show(`Share this link: ${location.href}`, 'info'),
      );
    });
  }

  async #toggleScreen(): Promise<void> {
    const client = this.#client;
    this.#screenButton.disabled = true;
    try {
      if (client.screen) await client.unpublish(client.screen);
      else await client.publishScreen();
    } catch (error) {
      if (error instanceof DotmError && error.code === 'media-permission-denied') {
        this.#options.toaster.show('Screen sharing was cancelled.', 'info', 3_000);
      } else {
        this.#toastError(error);
      }
    } finally {
      this.#screenButton.disabled = false;
      this.#updateControls();
      this.#renderParticipants();
    }
  }

  #renderAll(): void {
    const client = this.#client;
    const remoteKeys = new Set(client.streams.map((stream) => remoteKey(stream.streamId)));
    for (const stream of client.streams) {
      if (stream.mediaStream) this.#grid.upsert(this.#remoteTile(stream));
    }
    // Tiles of streams that went away while the connection was down.
    for (const key of this.#grid.keys()) {
      if (key.startsWith('remote:') && !remoteKeys.has(key)) this.#grid.remove(key);
    }
    for (const stream of client.localStreams) this.#grid.upsert(this.#localTile(stream));
    this.#renderParticipants();
    this.#updateControls();
  }

  #showLocal(stream: LocalStream): void {
    this.#grid.upsert(this.#localTile(stream));
    this.#updateControls();
    this.#renderParticipants();
  }

  #remoteTile(stream: RemoteStream): TileModel {
    return {
      key: remoteKey(stream.streamId),
      streamId: stream.streamId,
      participantId: stream.participantId,
      kind: stream.kind,
      name: this.#client.participant(stream.participantId)?.name ?? 'Guest',
      local: false,
      mediaStream: stream.mediaStream,
      hasAudio: stream.info.hasAudio,
      audioMuted: stream.audioMuted,
      videoMuted: stream.videoMuted,
      reconnecting: stream.state === 'reconnecting',
    };
  }

  #localTile(stream: LocalStream): TileModel {
    return {
      key: localKey(stream),
      streamId: stream.streamId,
      participantId: this.#client.self?.participantId ?? '',
      kind: stream.kind,
      name: this.#client.self?.name ?? this.#options.name,
      local: true,
      mediaStream: stream.mediaStream,
      hasAudio: stream.hasAudio,
      audioMuted: stream.audioMuted,
      videoMuted: stream.videoMuted || !stream.videoTrack,
      reconnecting: stream.state === 'reconnecting',
    };
  }

  #renderParticipants(): void {
    const client = this.#client;
    const selfId = client.self?.participantId;
    const rows: ParticipantRow[] = client.participants.map((participant) => {
      const isSelf = participant.participantId === selfId;
      const streams = isSelf
        ? []
        : client.streams.filter((s) => s.participantId === participant.participantId);
      const remoteCamera = streams.find((s) => s.kind === 'camera');
      const camera = isSelf ? client.camera : remoteCamera;
      const audioMuted = isSelf ? client.microphoneMuted : camera?.audioMuted;
      // A camera stream without video (turned off, or locked by the meeting) shows as video off.
      const videoMuted = isSelf
        ? !client.cameraEnabled || client.cameraMuted || client.camera?.hasVideo === false
        : remoteCamera?.videoMuted || remoteCamera?.info.hasVideo === false;
      return {
        participantId: participant.participantId,
        name: participant.name,
        role: participant.role,
        isSelf,
        audioMuted: camera ? audioMuted : undefined,
        videoMuted: camera ? videoMuted : undefined,
        sharingScreen: isSelf ? client.screen !== undefined : streams.some((s) => s.kind === 'screen'),
      };
    });
    rows.sort((a, b) => Number(b.isSelf) - Number(a.isSelf));
    this.#people.render(rows, client.isModerator ? this.#moderation : undefined);
    this.#endButton.hidden = !client.isModerator;
  }

  #updateControls(): void {
    const client = this.#client;
    const micOn = !client.microphoneMuted;
    setToggle(this.#micButton, micOn, micOn ? 'mic' : 'micOff', micOn ? 'Mute' : 'Unmute');
    const cameraOn = client.cameraEnabled && (client.camera ? client.camera.hasVideo : true);
    setToggle(
      this.#cameraButton,
      cameraOn,
      cameraOn ? 'camera' : 'cameraOff',
      cameraOn ? 'Stop video' : 'Start video',
    );
    // The meeting's lock settings: the button says so instead of failing when pressed.
    const locks = client.self?.locks;
    lockToggle(this.#micButton, locks?.microphone === true, 'Microphone locked by the meeting');
    lockToggle(this.#cameraButton, locks?.camera === true, 'Camera locked by the meeting');
    const sharing = client.screen !== undefined;
    setToggle(this.#screenButton, sharing, 'screen', sharing ? 'Stop sharing' : 'Share screen');
    setToggle(this.#leaveButton, true, 'leave', 'Leave');
    setToggle(this.#endButton, true, 'leave', 'End meeting');
  }

  #showConnectionState(state: ConnectionState): void {
    this.#banner.dataset.state = state;
    this.#banner.textContent = BANNER_TEXT[state];
  }

  #toastError(error: unknown): void {
    this.#options.toaster.show(describeError(error), 'error');
  }

  #finish(info: LeftInfo): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#options.onLeft(info);
  }
}

function remoteKey(streamId: string): string {
  return `remote:${streamId}`;
}

function localKey(stream: LocalStream): string {
  return `local:${stream.kind}`;
}

function lockToggle(button: HTMLButtonElement, locked: boolean, label: string): void {
  if (!locked) return;
  button.disabled = true;
  button.dataset.state = 'off';
  button.dataset.locked = 'true';
  button.setAttribute('aria-label', label);
  button.title = label;
  const text = button.querySelector('.control-label');
  if (text) text.textContent = 'Locked';
}

function setToggle(button: HTMLButtonElement, on: boolean, iconName: IconName, label: string): void {
  button.dataset.state = on ? 'on' : 'off';
  button.setAttribute('aria-label', label);
  button.querySelector('.control-icon')?.replaceChildren(icon(iconName));
  const text = button.querySelector('.control-label');
  if (text) text.textContent = label;
}
