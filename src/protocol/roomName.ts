/**
 * The one rule for room names, shared by the controller (which refuses others with the error code
 * ROOM_NAME_ERROR_CODE) and the meeting page (which explains it before joining). A room name is
 * part of the page's URL (`/r/<room>`), of log lines and of metrics, hence the small alphabet.
 */

/** In characters (Unicode code points), not UTF-16 units. */
export const ROOM_NAME_MAX_LENGTH = 100;

/**
 * Letters (with their combining marks, so "नमस्ते" is one word), digits, spaces, ".", "_" and "-";
 * starts with a letter or digit and does not end with a space, so "lecture" and "lecture " are not
 * two rooms. Valid with the `u` flag and with the `v` flag of HTML `pattern` attributes
 * (`input.pattern = ROOM_NAME_PATTERN.source`).
 */
export const ROOM_NAME_PATTERN: RegExp = new RegExp(
  `^[\\p{L}\\p{N}](?:[\\p{L}\\p{M}\\p{N} ._\\-]{0,${ROOM_NAME_MAX_LENGTH - 2}}[\\p{L}\\p{M}\\p{N}._\\-])?$`,
  'u',
);

/** The rule in words, for error messages and form hints. */
export const ROOM_NAME_RULE = `a room name is 1–${ROOM_NAME_MAX_LENGTH} letters, digits, spaces, ".", "_" or "-", starting with a letter or digit and not ending with a space`;

/** The `code` of the error a controller answers to a join or publish with an invalid room name. */
export const ROOM_NAME_ERROR_CODE = 'bad-room-name';

export function isValidRoomName(value: unknown): value is string {
  return typeof value === 'string' && ROOM_NAME_PATTERN.test(value);
}
