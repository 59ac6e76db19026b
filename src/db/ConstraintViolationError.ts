export type ConstraintKind = 'unique' | 'foreign-key' | 'not-null' | 'check';

/**
 * A statement broke a constraint of the schema. Each engine reports these its own way (SQLite
 * extended result codes, PostgreSQL SQLSTATE); implementations translate them to this one error so
 * repositories can react (e.g. "that secret is already taken") without knowing the engine.
 */
export class ConstraintViolationError extends Error {
  override name = 'ConstraintViolationError';
  readonly kind: ConstraintKind;

  constructor(kind: ConstraintKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}
