import { absoluteHttpUrl } from '../protocol/httpUrl.ts';

/**
 * What the portal that runs a meeting set for its page (BigBlueButton's `welcome` and `logoutURL`),
 * as the controller told the client when it was admitted.
 */
export interface MeetingDetails {
  /** Shown when the person enters, as the first chat message: plain text, never put in as HTML. */
  welcome?: string;
  /**
   * Where to send the person once they leave, are removed, or the meeting ends: an absolute http(s)
   * URL (anything else never gets here). Without one, the page stays where it is.
   */
  logoutUrl?: string;
}

/** The details in a join answer or a stored entry, checked; undefined when there are none. */
export function meetingDetailsOf(source: unknown): MeetingDetails | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const { welcome, logoutUrl } = source as Record<string, unknown>;
  const safeUrl = absoluteHttpUrl(logoutUrl);
  const details: MeetingDetails = {
    ...(typeof welcome === 'string' && welcome.trim() !== '' ? { welcome } : {}),
    ...(safeUrl ? { logoutUrl: safeUrl } : {}),
  };
  return details.welcome === undefined && details.logoutUrl === undefined ? undefined : details;
}
