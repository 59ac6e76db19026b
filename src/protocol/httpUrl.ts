/**
 * The URL when it is an absolute http: or https: URL with a host (at most 2048 characters), else
 * undefined. Shared by everything that may end up in a browser's `location` (a logoutURL), where
 * `javascript:` or `data:` would run as the meeting page: the portal checks on the way in, the SDK
 * and the page check again before they use it.
 */
export function absoluteHttpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return undefined;
  return url.href;
}
