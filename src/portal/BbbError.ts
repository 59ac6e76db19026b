/**
 * A call that failed the way BigBlueButton reports failures: HTTP 200 with
 * `<returncode>FAILED</returncode>`, a stable `messageKey` portals branch on, and an English message.
 */
export class BbbError extends Error {
  override name = 'BbbError';
  readonly messageKey: string;

  constructor(messageKey: string, message: string) {
    super(message);
    this.messageKey = messageKey;
  }
}
