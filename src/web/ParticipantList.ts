import type { Role } from '../client/index.ts';
import { avatarColour, h, icon, initials } from './dom.ts';

export interface ParticipantRow {
  participantId: string;
  name: string;
  role: Role;
  isSelf: boolean;
  /** Undefined when the participant publishes no camera stream. */
  audioMuted: boolean | undefined;
  videoMuted: boolean | undefined;
  sharingScreen: boolean;
}

/** What a moderator can do to someone else from their row; viewers get no buttons. */
export interface ModerationActions {
  mute(participantId: string): void;
  remove(participantId: string, name: string): void;
}

/** The people panel: everyone in the room, you first, with their microphone/camera state. */
export class ParticipantList {
  readonly #list: HTMLElement;
  readonly #count: HTMLElement;
  #moderation: ModerationActions | undefined;

  constructor(list: HTMLElement, count: HTMLElement) {
    this.#list = list;
    this.#count = count;
  }

  render(rows: readonly ParticipantRow[], moderation?: ModerationActions): void {
    this.#moderation = moderation;
    this.#count.textContent = String(rows.length);
    this.#list.replaceChildren(...rows.map((row) => this.#item(row)));
  }

  #moderationButtons(row: ParticipantRow): HTMLElement | undefined {
    const actions = this.#moderation;
    if (!actions || row.isSelf) return undefined;
    const mute = h(
      'button',
      {
        type: 'button',
        class: 'participant-action',
        'data-testid': 'participant-mute',
        'aria-label': `Mute ${row.name}`,
        // Already muted: nothing to ask for. Without a camera stream it still counts: a later publish starts muted.
        disabled: row.audioMuted === true,
      },
      'Mute',
    );
    mute.addEventListener('click', () => actions.mute(row.participantId));
    const remove = h(
      'button',
      {
        type: 'button',
        class: 'participant-action danger',
        'data-testid': 'participant-remove',
        'aria-label': `Remove ${row.name}`,
      },
      'Remove',
    );
    remove.addEventListener('click', () => actions.remove(row.participantId, row.name));
    return h('span', { class: 'participant-actions' }, mute, remove);
  }

  #item(row: ParticipantRow): HTMLElement {
    const avatar = h('span', { class: 'avatar small', 'aria-hidden': 'true' }, initials(row.name));
    avatar.style.setProperty('--avatar', avatarColour(row.participantId));
    const icons = h('span', { class: 'participant-icons' });
    if (row.sharingScreen) icons.append(labelled(icon('screen'), 'Sharing screen'));
    if (row.audioMuted !== undefined) {
      icons.append(
        row.audioMuted
          ? labelled(icon('micOff', 'icon off'), 'Microphone muted')
          : labelled(icon('mic'), 'Microphone on'),
      );
    }
    if (row.videoMuted !== undefined) {
      icons.append(
        row.videoMuted
          ? labelled(icon('cameraOff', 'icon off'), 'Camera off')
          : labelled(icon('camera'), 'Camera on'),
      );
    }
    return h(
      'li',
      {
        class: 'participant',
        'data-testid': 'participant-item',
        'data-participant-id': row.participantId,
        'data-self': row.isSelf,
      },
      avatar,
      h('span', { class: 'participant-name' }, row.name),
      row.isSelf ? h('span', { class: 'participant-you' }, '(you)') : undefined,
      icons,
      this.#moderationButtons(row),
    );
  }
}

function labelled(svg: SVGSVGElement, label: string): SVGSVGElement {
  svg.removeAttribute('aria-hidden');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  return svg;
}
