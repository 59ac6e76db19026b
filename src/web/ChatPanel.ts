import type { ChatMessage } from '../client/index.ts';
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

  constructor(options: ChatPanelOptions) {
    this.#options = options;
    options.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#submit();
    });
  }

  reset(messages: readonly ChatMessage[]): void {
    this.#ids.clear();
    this.#options.list.replaceChildren();
    for (const message of messages) this.add(message);
    if (messages.length === 0) this.#options.list.append(this.#empty);
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
