import type { ChatMessage } from '../client/index.ts';
import { absoluteHttpUrl } from '../protocol/httpUrl.ts';
import { h } from './dom.ts';

export interface ChatPanelOptions {
  list: HTMLElement;
  form: HTMLFormElement;
  input: HTMLInputElement;
  send: (text: string) => Promise<unknown>;
  selfId: () => string | undefined;
  onError: (error: unknown) => void;
}

const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** The chat: history, new messages (auto-scrolling when already at the bottom), Enter sends. */
export class ChatPanel {
  readonly #options: ChatPanelOptions;
  readonly #ids = new Set<string>();
  readonly #empty = h('li', { class: 'chat-empty' }, 'No messages yet. Say hello!');
  /** The meeting's welcome, kept first whatever the history holds. */
  #welcome: HTMLLIElement | undefined;

  constructor(options: ChatPanelOptions) {
    this.#options = options;
    options.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#submit();
    });
  }

  reset(messages: readonly ChatMessage[]): void {
    this.#ids.clear();
    this.#options.list.replaceChildren(...(this.#welcome ? [this.#welcome] : []));
    for (const message of messages) this.add(message);
    if (messages.length === 0 && !this.#welcome) this.#options.list.append(this.#empty);
  }

  /**
   * The meeting's welcome as the first message, styled as the system's (BigBlueButton shows it so).
   * It comes from a portal, so it goes in as text only: never as markup.
   */
  setWelcome(text: string | undefined, presentation?: { url: string; name?: string }): void {
    const list = this.#options.list;
    // Only an absolute http(s) URL becomes a link: the document's address came from a portal.
    const link = presentation ? absoluteHttpUrl(presentation.url) : undefined;
    const shown = this.#welcome?.dataset.shown;
    const wanted = JSON.stringify([text ?? '', link ?? '']);
    if (shown === wanted) return;
    this.#welcome?.remove();
    this.#welcome = undefined;
    if (!text && !link) {
      if (list.childElementCount === 0) list.append(this.#empty);
      return;
    }
    this.#welcome = h(
      'li',
      { class: 'chat-message system', 'data-testid': 'chat-welcome', role: 'note' },
      h('div', { class: 'chat-meta' }, h('span', { class: 'chat-author' }, 'Welcome')),
      text ? h('p', { class: 'chat-text' }, text) : undefined,
      // The portal's document (BigBlueButton's pre-uploaded presentation): this page has no slide
      // viewer, so everyone gets it as a link that opens beside the meeting.
      link
        ? h(
            'p',
            { class: 'chat-presentation' },
            'Presentation: ',
            h(
              'a',
              {
                href: link,
                target: '_blank',
                rel: 'noopener noreferrer',
                'data-testid': 'presentation-link',
              },
              presentation?.name || new URL(link).pathname.split('/').pop() || link,
            ),
          )
        : undefined,
    );
    this.#welcome.dataset.shown = wanted;
    this.#empty.remove();
    list.prepend(this.#welcome);
  }

  add(message: ChatMessage): void {
    if (this.#ids.has(message.messageId)) return;
    this.#ids.add(message.messageId);
    this.#empty.remove();
    const list = this.#options.list;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const mine = message.participantId === this.#options.selfId();
    const sentAt = new Date(message.sentAt);
    list.append(
      h(
        'li',
        {
          class: mine ? 'chat-message mine' : 'chat-message',
          'data-testid': 'chat-message',
          'data-message-id': message.messageId,
          'data-participant-id': message.participantId,
        },
        h(
          'div',
          { class: 'chat-meta' },
          h('span', { class: 'chat-author' }, mine ? `${message.name} (you)` : message.name),
          h('time', { datetime: sentAt.toISOString() }, TIME.format(sentAt)),
        ),
        h('p', { class: 'chat-text' }, message.text),
      ),
    );
    if (atBottom || mine) list.scrollTop = list.scrollHeight;
  }

  async #submit(): Promise<void> {
    const input = this.#options.input;
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    try {
      await this.#options.send(text);
    } catch (error) {
      // Give the words back rather than losing them.
      if (!input.value) input.value = text;
      this.#options.onError(error);
    }
  }
}
