import { h } from '../dom.ts';

/**
 * Which tenants the dashboard shows: none ticked = the whole network (including rooms that are not
 * portal meetings), otherwise only the ticked tenants' meetings. Nodes are shared and always shown.
 */
export class TenantFilter {
  readonly #summary: HTMLElement;
  readonly #list: HTMLElement;
  readonly #onChange: () => void;
  #tenants: { id: string; name: string }[] = [];

  constructor(summary: HTMLElement, list: HTMLElement, onChange: () => void) {
    this.#summary = summary;
    this.#list = list;
    this.#onChange = onChange;
  }

  get selected(): string[] {
    return [...this.#list.querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked')].map(
      (box) => box.value,
    );
  }

  setTenants(tenants: { id: string; name: string }[]): void {
    const keep = new Set(this.selected);
    this.#tenants = tenants;
    const clear = h(
      'button',
      { type: 'button', class: 'ghost small', 'data-testid': 'tenant-all' },
      'All tenants',
    );
    clear.addEventListener('click', () => {
      for (const box of this.#list.querySelectorAll<HTMLInputElement>('input[type=checkbox]'))
        box.checked = false;
      this.#changed();
    });
    this.#list.replaceChildren(
      clear,
      ...tenants.map((tenant) => {
        const box = h('input', { type: 'checkbox', value: tenant.id, checked: keep.has(tenant.id) });
        box.addEventListener('change', () => this.#changed());
        return h('label', { class: 'tenant-option', 'data-testid': 'tenant-option' }, box, tenant.name);
      }),
    );
    this.#describe();
  }

  #changed(): void {
    this.#describe();
    this.#onChange();
  }

  #describe(): void {
    const chosen = this.selected;
    const names = this.#tenants.filter((t) => chosen.includes(t.id)).map((t) => t.name);
    this.#summary.textContent =
      names.length === 0 ? 'All tenants' : names.length <= 2 ? names.join(', ') : `${names.length} tenants`;
  }
}
