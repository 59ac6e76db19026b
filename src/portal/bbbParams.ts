import { absoluteHttpUrl } from '../protocol/httpUrl.ts';
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

const LINK = /<a\b[^>]*?\bhref\s*=\s*(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a\s*>/gi;
const LINE_BREAK = /<br\s*\/?>|<\/(?:p|div|li|h[1-6])\s*>/gi;
const TAG = /<!--[\s\S]*?-->|<\/?[a-z][^>]*>/gi;
const ENTITY = /&(#\d{1,7}|#x[0-9a-f]{1,6}|amp|lt|gt|quot|apos|nbsp);/gi;
const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

/**
 * A BigBlueButton welcome message as plain text. Portals write it with BBB's "limited HTML" (`<b>`,
 * `<br>`, links); the meeting page shows text only, so tags are dropped (a link keeps its address
 * beside its words), line breaks stay and entities are decoded. Whatever the result holds is
 * shown as text, never parsed as markup.
 */
export function welcomeText(welcome: string): string {
  const text = welcome
    .replace(LINK, (_link, _quote, href: string, label: string) => {
      const words = decodeEntities(label.replace(TAG, '')).trim();
      const address = absoluteHttpUrl(decodeEntities(href).trim());
      if (!address || words === address || words === '') return address ?? label;
      return `${label} (${address})`;
    })
    .replace(LINE_BREAK, '\n')
    .replace(TAG, '');
  return decodeEntities(text)
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function decodeEntities(text: string): string {
  return text.replace(ENTITY, (entity, name: string) => {
    const lower = name.toLowerCase();
    if (!lower.startsWith('#')) return NAMED_ENTITIES[lower] ?? entity;
    const code = lower.startsWith('#x') ? Number.parseInt(lower.slice(2), 16) : Number(lower.slice(1));
    return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
      ? String.fromCodePoint(code)
      : entity;
  });
}
