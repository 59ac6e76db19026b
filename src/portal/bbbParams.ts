import { missingMeetingId, validationError } from './bbbErrors.ts';

/** BigBlueButton's meta parameter names; stored and returned in lower case, as it does. */
const META_PARAM = /^meta_([a-zA-Z][a-zA-Z0-9-]*)$/;

/** The meetingID every meeting call needs, with BigBlueButton's rules (2–256 characters, no comma). */
export function requireMeetingId(params: ReadonlyMap<string, string>): string {
  const meetingId = params.get('meetingID') ?? '';
  if (meetingId === '') throw missingMeetingId();
  if (meetingId.length < 2 || meetingId.length > 256) {
    throw validationError('Meeting ID must be between 2 and 256 characters');
  }
  if (meetingId.includes(',')) throw validationError("Meeting ID cannot contain ','");
  return meetingId;
}

/** Java's Boolean.parseBoolean: only "true" (any case) is true. */
export function parseBoolean(value: string | undefined): boolean {
  return value?.toLowerCase() === 'true';
}

/** A non-negative count; anything else (absent, negative, not a number) is 0, BBB's "no limit". */
export function parseCount(value: string | undefined): number {
  if (value === undefined || !/^\d{1,9}$/.test(value)) return 0;
  return Number(value);
}

/** Refuses over-long values before they reach the database. */
export function checkLength(name: string, value: string, max: number): string {
  if (value.length > max) throw validationError(`${name} must be at most ${max} characters`);
  return value;
}

export function metaParams(params: ReadonlyMap<string, string>): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of params) {
    const match = META_PARAM.exec(name);
    if (match) metadata[match[1]!.toLowerCase()] = checkLength(name, value, 2048);
  }
  return metadata;
}

/** The portal's parameters between the tenant's defaults (below) and overrides (above). */
export function withPresets(
  params: ReadonlyMap<string, string>,
  defaults: Readonly<Record<string, string>> = {},
  overrides: Readonly<Record<string, string>> = {},
): Map<string, string> {
  const merged = new Map(Object.entries(defaults));
  for (const [name, value] of params) merged.set(name, value);
  for (const [name, value] of Object.entries(overrides)) merged.set(name, value);
  return merged;
}
