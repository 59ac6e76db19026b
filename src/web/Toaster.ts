import { h } from './dom.ts';

export type ToastKind = 'error' | 'info';

const DEFAULT_TIMEOUT_MS = 7_000;

/** Short-lived messages in a corner; the same text twice refreshes the toast instead of stacking. */
export class Toaster {
  readonly #container: HTMLElement;
  readonly #shown = new Map<string, { element: HTMLElement; timer: ReturnType<typeof setTimeout> }>();

  constructor(container: HTMLElement) {
    this.#container = container;
  }

  show(message: string, kind: ToastKind = 'error', timeoutMs = DEFAULT_TIMEOUT_MS): void {
    const existing = this.#shown.get(message);
    if (existing) {
      clearTimeout(existing.timer);
      existing.timer = setTimeout(() => this.#dismiss(message), timeoutMs);
      return;
    }
    const close = h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss' }, '×');
    const element = h(
      'div',
      {
        class: `toast ${kind}`,
        role: kind === 'error' ? 'alert' : 'status',
        'data-testid': 'toast',
        'data-kind': kind,
      },
      h('p', { class: 'toast-text' }, message),
      close,
    );
    close.addEventListener('click', () => this.#dismiss(message));
    this.#container.append(element);
    this.#shown.set(message, { element, timer: setTimeout(() => this.#dismiss(message), timeoutMs) });
  }

  #dismiss(message: string): void {
    const shown = this.#shown.get(message);
    if (!shown) return;
    clearTimeout(shown.timer);
    shown.element.remove();
    this.#shown.delete(message);
  }
}
