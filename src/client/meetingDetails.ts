import { absoluteHttpUrl } from '../protocol/httpUrl.ts';
import type { MeetingLayout } from '../protocol/roomSignalling.ts';

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
  /** The meeting's name as its portal created it (plain text). */
  meetingName?: string;
  /** How the page arranges the streams; absent: 'smart'. */
  layout?: MeetingLayout;
  /** The document the portal attached for everyone: an absolute http(s) URL and its name. */
  presentation?: { url: string; name?: string };
}

const LAYOUTS: ReadonlySet<string> = new Set(['smart', 'presentation-focus', 'video-focus']);

/** The details in a join answer or a stored entry, checked; undefined when there are none. */
export function meetingDetailsOf(source: unknown): MeetingDetails | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const { welcome, logoutUrl, layout, presentation, meetingName } = source as Record<string, unknown>;
  const safeUrl = absoluteHttpUrl(logoutUrl);
  const document =
    typeof presentation === 'object' && presentation !== null
      ? (presentation as Record<string, unknown>)
      : {};
  const documentUrl = absoluteHttpUrl(document.url);
  const details: MeetingDetails = {
    ...(typeof welcome === 'string' && welcome.trim() !== '' ? { welcome } : {}),
    ...(typeof meetingName === 'string' && meetingName.trim() !== ''
      ? { meetingName: meetingName.trim().slice(0, 256) }
      : {}),
    ...(safeUrl ? { logoutUrl: safeUrl } : {}),
    ...(typeof layout === 'string' && LAYOUTS.has(layout) ? { layout: layout as MeetingLayout } : {}),
    ...(documentUrl
      ? {
          presentation: {
            url: documentUrl,
            ...(typeof document.name === 'string' && document.name !== ''
              ? { name: document.name.slice(0, 200) }
              : {}),
          },
        }
      : {}),
  };
  return Object.keys(details).length === 0 ? undefined : details;
}
