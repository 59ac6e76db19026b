/**
 * The demo meeting page: a landing form, then the meeting at `/r/<room>` (so a reload comes back
 * to the same room, and the SDK's rejoin ticket makes it the same participant).
 */
import { absoluteHttpUrl, DotmClient } from '../client/index.ts';
import { isValidRoomName, ROOM_NAME_RULE } from '../protocol/roomName.ts';
import { byId } from './dom.ts';
import { type LeftInfo, MeetingView } from './MeetingView.ts';
import { preferences } from './preferences.ts';
import { Toaster } from './Toaster.ts';
import { applyTheme, claimsOf, loadTheme, retitle, tenantInToken } from './theme.ts';

declare global {
  interface Window {
    /** The page's client, for browser tests and the curious. */
    dotm?: DotmClient;
  }
}

const ROOM_PATH = /^\/r\/([^/]+)\/?$/;
/** How long "the meeting has ended" (or "you left") shows before the portal's logout URL takes over. */
const LOGOUT_DELAY_MS = 3_000;

const toaster = new Toaster(byId('toasts'));
const landing = byId('landing');
const leftScreen = byId('left');
const form = byId<HTMLFormElement>('join-form');
const roomInput = byId<HTMLInputElement>('join-room');
const nameInput = byId<HTMLInputElement>('join-name');

let current: { view: MeetingView; room: string } | undefined;
let lastMeeting: { room: string; name: string } | undefined;
let logoutTimer: ReturnType<typeof setTimeout> | undefined;

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
  cancelLogout();
  leftScreen.hidden = true;
  landing.hidden = false;
  document.title = 'dotm meeting';
  retitle();
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
  retitle();
  byId('rejoin').focus();
  scheduleLogout(info.logoutUrl);
}

/**
 * Sends the browser to the portal's logout URL once the notice has been read, as BigBlueButton
 * does. The URL is checked here too, right before it reaches `location`: only http(s) ever goes.
 */
function scheduleLogout(logoutUrl: string | undefined): void {
  cancelLogout();
  const target = absoluteHttpUrl(logoutUrl);
  if (!target) return;
  const notice = byId('left-redirect');
  notice.textContent = `Taking you back to ${new URL(target).host}…`;
  notice.hidden = false;
  logoutTimer = setTimeout(() => {
    logoutTimer = undefined;
    const checked = absoluteHttpUrl(target);
    if (checked) location.assign(checked);
  }, LOGOUT_DELAY_MS);
}

/** The person chose otherwise (rejoin, back to start, browser navigation): they stay. */
function cancelLogout(): void {
  clearTimeout(logoutTimer);
  logoutTimer = undefined;
  const notice = byId('left-redirect');
  notice.hidden = true;
  notice.textContent = '';
}

/**
 * A portal's join link (`/r/<room>?join=<token>`): the invitation is a bearer credential, so it
 * leaves the address bar (and history, and shared screenshots) at once. The name shown while
 * joining is read from it; the controller verifies it and decides the real name and role.
 */
function takeInvitation(): { token: string; name: string } | undefined {
  const params = new URLSearchParams(location.search);
  const token = params.get('join');
  if (!token) return undefined;
  params.delete('join');
  const query = params.toString();
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  return { token, name: nameInToken(token) ?? preferences.name ?? 'Guest' };
}

function nameInToken(token: string): string | undefined {
  const name = claimsOf(token)?.name;
  return typeof name === 'string' && name.trim() ? name : undefined;
}

const TENANT_KEY = 'dotm.tenant';

/**
 * Whose theme the page wears: the join token's tenant, remembered for this tab so a reload (the token
 * is gone from the URL by then) keeps it; without either, the server goes by the hostname.
 */
function tenantOfThisPage(): string | undefined {
  const token = new URLSearchParams(location.search).get('join');
  const fromToken = token ? tenantInToken(token) : undefined;
  try {
    if (fromToken) sessionStorage.setItem(TENANT_KEY, fromToken);
    return fromToken ?? sessionStorage.getItem(TENANT_KEY) ?? undefined;
  } catch {
    return fromToken; // storage may be off; the theme is a nicety
  }
}

function enterMeeting(room: string, name: string, joinToken?: string): void {
  cancelLogout();
  landing.hidden = true;
  leftScreen.hidden = true;
  const client = new DotmClient({ debug: new URLSearchParams(location.search).has('debug') });
  window.dotm = client;
  const view: MeetingView = new MeetingView({
    client,
    room,
    name,
    joinToken,
    toaster,
    onLeft: (info) => {
      view.dispose();
      if (current?.view === view) current = undefined;
      showLeft(room, name, info);
    },
  });
  current = { view, room };
  void view.start();
  retitle();
}

/** Shows whatever the URL asks for: the meeting when the name is known, otherwise the form. */
function route(): void {
  const room = roomFromPath();
  const invitation = takeInvitation();
  if (room && isValidRoomName(room) && invitation) {
    enterMeeting(room, invitation.name, invitation.token);
    return;
  }
  const name = preferences.name;
  if (room && isValidRoomName(room) && name) enterMeeting(room, name);
  else showLanding(room);
}

roomInput.addEventListener('input', () => roomInput.setCustomValidity(''));

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = roomInput.value.trim();
  const name = nameInput.value.trim();
  if (!isValidRoomName(room)) {
    roomInput.setCustomValidity(`${ROOM_NAME_RULE[0]!.toUpperCase()}${ROOM_NAME_RULE.slice(1)}.`);
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

void loadTheme(tenantOfThisPage()).then((theme) => {
  if (theme) applyTheme(theme);
});
route();
