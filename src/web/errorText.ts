import { DotmError } from '../client/index.ts';

const READABLE: Record<string, string> = {
  'cluster-full':
    'The cluster is full: no media server can take another stream right now. Try again in a moment.',
  'media-permission-denied':
    'Camera or microphone access was denied. Allow it in the address bar to be seen and heard.',
  'media-device-not-found': 'No camera or microphone was found.',
  'media-device-busy': 'Your camera or microphone is being used by another application.',
  'media-unavailable': 'Camera and microphone need a secure connection (https or localhost).',
  'media-error': 'The camera or microphone could not be started.',
  timeout: 'The server did not answer in time. Please try again.',
  network: 'The server cannot be reached. Check your connection.',
  disconnected: 'The connection dropped before the server answered.',
  forbidden: 'You are not allowed to do that.',
  unauthorized: 'You are not allowed to do that.',
  removed: 'You were removed from the meeting.',
  'stream-removed': 'The server stopped one of your streams.',
  closed: 'You are no longer in the meeting.',
};

const SERVER_WORDED = new Set(['forbidden', 'not-found', 'bad-room-name']);

function sentence(text: string): string {
  const trimmed = text.trim();
  return `${trimmed[0]!.toUpperCase()}${trimmed.slice(1)}${/[.!?]$/.test(trimmed) ? '' : '.'}`;
}

/** A sentence for people, from whatever went wrong. */
export function describeError(error: unknown): string {
  if (error instanceof DotmError) {
    if (error.code === 'bad-request') return `The server refused the request: ${error.message}`;
    // The controller words these for people (why a join link is needed, that a meeting ended).
    if (SERVER_WORDED.has(error.code) && error.message) return sentence(error.message);
    return READABLE[error.code] ?? error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
