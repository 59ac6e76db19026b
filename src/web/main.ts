/**
 * The demo meeting page: a landing form, then the meeting at `/r/<room>` (so a reload comes back
 * to the same room, and the SDK's rejoin ticket makes it the same participant).
 */
import { DotmClient } from '../client/index.ts';
import { byId } from './dom.ts';
import { type LeftInfo, MeetingView } from './MeetingView.ts';
import { preferences } from './preferences.ts';
import { Toaster } from './Toaster.ts';

declare global {
  interface Window {
    /** The page's client, for browser tests and the curious. */
    dotm?: DotmClient;
  }
}

/** The controller's rule for room names, checked here to explain it before joining. */
const ROOM_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,99}$/u;
const ROOM_PATH = /^\/r\/([^/]+)\/?$/;

const toaster = new Toaster(byId('toasts'));
const landing = byId('landing');
const leftScreen = byId('left');
const form = byId<HTMLFormElement>('join-form');
const roomInput = byId<HTMLInputElement>('join-room');
const nameInput = byId<HTMLInputElement>('join-name');

let current: { view: MeetingView; room: string } | undefined;
let lastMeeting: { room: string; name: string } | undefined;

function roomFromPath(): string | undefined {
  const match = ROOM_PATH.exec(location.pathname);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

function roomPath(room: string): string {
  return `/r/${encodeURIComponent(room)}`;
}

function showLanding(room: string | undefined): void {
  leftScreen.hidden = true;
  landing.hidden = false;
  document.title = 'dotm meeting';
  roomInput.value = room ?? preferences.lastRoom ?? '';
  nameInput.value = preferences.name ?? '';
  (roomInput.value ? nameInput : roomInput).focus();
}

function showLeft(room: string, name: string, info: LeftInfo): void {
  landing.hidden = true;
  leftScreen.hidden = false;
  lastMeeting = { room, name };
  byId('left-title').textContent = info.title;
  byId('left-detail').textContent = info.detail;
  document.title = 'dotm meeting';
  byId('rejoin').focus();
}

function enterMeeting(room: string, name: string): void {
  landing.hidden = true;
  leftScreen.hidden = true;
  const client = new DotmClient({ debug: new URLSearchParams(location.search).has('debug') });
  window.dotm = client;
  const view: MeetingView = new MeetingView({
    client,
    room,
    name,
    toaster,
    onLeft: (info) => {
      view.dispose();
      if (current?.view === view) current = undefined;
      showLeft(room, name, info);
    },
  });
  current = { view, room };
  void view.start();
}

/** Shows whatever the URL asks for: the meeting when the name is known, otherwise the form. */
function route(): void {
  const room = roomFromPath();
  const name = preferences.name;
  if (room && ROOM_NAME.test(room) && name) enterMeeting(room, name);
  else showLanding(room);
}

roomInput.addEventListener('input', () => roomInput.setCustomValidity(''));

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = roomInput.value.trim();
  const name = nameInput.value.trim();
  if (!ROOM_NAME.test(room)) {
    roomInput.setCustomValidity(
      'Use letters, digits, spaces, “.”, “_” or “-”, starting with a letter or digit (at most 100).',
    );
    roomInput.reportValidity();
    return;
  }
  if (!name) {
    nameInput.reportValidity();
    return;
  }
  preferences.name = name;
  preferences.lastRoom = room;
  const path = roomPath(room);
  if (location.pathname !== path) history.pushState(null, '', path);
  enterMeeting(room, name);
});

byId('rejoin').addEventListener('click', () => {
  const meeting = lastMeeting ?? { room: roomFromPath() ?? '', name: preferences.name ?? '' };
  if (!meeting.room || !meeting.name) {
    showLanding(meeting.room || undefined);
    return;
  }
  if (location.pathname !== roomPath(meeting.room)) history.pushState(null, '', roomPath(meeting.room));
  enterMeeting(meeting.room, meeting.name);
});

byId('go-home').addEventListener('click', () => {
  history.pushState(null, '', '/');
  showLanding(undefined);
});

window.addEventListener('popstate', () => {
  const meeting = current;
  if (meeting && roomFromPath() !== meeting.room) {
    current = undefined;
    void meeting.view.leave().finally(route);
    return;
  }
  if (!meeting) route();
});

route();
