/** invalid: the request is wrong; not-found: no such tenant; conflict: it clashes with the stored state. */
export type TenantAdminErrorKind = 'invalid' | 'not-found' | 'conflict';

/** A tenant administration request refused, with a message meant for the administrator. */
export class TenantAdminError extends Error {
  override name = 'TenantAdminError';
  readonly kind: TenantAdminErrorKind;

  constructor(kind: TenantAdminErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}
