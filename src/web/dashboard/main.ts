/**
 * The statistics dashboard at /dashboard: asks once for the controller's API key (kept in this tab's
 * sessionStorage), then polls the live view every 2 s, the last 4 hours of users every 30 s, and
 * loads the history reports for the chosen interval and tenants. Polling rather than a stream,
 * because EventSource cannot send the Authorization header the API needs.
 */
import { byId } from '../dom.ts';
import { HistoryPanel } from './HistoryPanel.ts';
import { LivePanel } from './LivePanel.ts';
import { type ReportFilter, StatsClient, UnauthorizedError } from './StatsClient.ts';
import { TenantFilter } from './TenantFilter.ts';

const KEY_STORAGE = 'dotm.dashboard.apiKey';
const LIVE_EVERY_MS = 2_000;
const RECENT_EVERY_MS = 30_000;

const gate = byId('gate');
const keyForm = byId<HTMLFormElement>('key-form');
const keyInput = byId<HTMLInputElement>('api-key');
const keyError = byId('key-error');
const dashboard = byId('dashboard');
const status = byId('status');
const updated = byId('updated');
const historyForm = byId<HTMLFormElement>('history-form');
const rangeSelect = byId<HTMLSelectElement>('range');
const customRange = byId('custom-range');
const fromInput = byId<HTMLInputElement>('from');
const toInput = byId<HTMLInputElement>('to');
const bucketSelect = byId<HTMLSelectElement>('bucket');
const historyError = byId('history-error');

const live = new LivePanel({
  users: byId('now-users'),
  rooms: byId('now-rooms'),
  nodes: byId('now-nodes'),
  roomList: byId('room-list'),
  nodeRows: byId('node-rows'),
  recentChartSlot: byId('recent-chart'),
});
const history = new HistoryPanel(byId('summary'), byId('history-caption'), byId('history-charts'));
const tenants = new TenantFilter(byId('tenant-summary'), byId('tenant-list'), () => {
  refreshRecent();
  void pollLive();
  void loadHistory();
});

/** Bumped at every sign-in and sign-out, so loops and answers of an older session stop. */
let session = 0;
let client: StatsClient | undefined;
let liveTimer: ReturnType<typeof setTimeout> | undefined;
let recentTimer: ReturnType<typeof setInterval> | undefined;

function showGate(message?: string): void {
  dashboard.hidden = true;
  gate.hidden = false;
  keyError.hidden = !message;
  keyError.textContent = message ?? '';
  keyInput.value = '';
  keyInput.focus();
}

function signOut(message?: string): void {
  session++;
  client = undefined;
  clearTimeout(liveTimer);
  clearInterval(recentTimer);
  sessionStorage.removeItem(KEY_STORAGE);
  showGate(message);
}

function setStatus(message: string | undefined): void {
  status.hidden = message === undefined;
  status.textContent = message ?? '';
}

/** Runs a call of the current session; a refused key sends the user back to the gate. */
async function call<T>(work: (stats: StatsClient) => Promise<T>): Promise<T | undefined> {
  const mine = session;
  const stats = client;
  if (!stats) return undefined;
  try {
    const result = await work(stats);
    return mine === session ? result : undefined;
  } catch (error) {
    if (mine !== session) return undefined;
    if (error instanceof UnauthorizedError) signOut('That API key was not accepted.');
    throw error;
  }
}

async function pollLive(): Promise<void> {
  const mine = session;
  clearTimeout(liveTimer);
  try {
    const view = await call((stats) => stats.live(tenants.selected));
    if (view) {
      live.render(view);
      updated.textContent = `Updated ${new Date(view.now).toLocaleTimeString('en-GB')}`;
      setStatus(undefined);
    }
  } catch (error) {
    if (mine === session) setStatus(`Live view not updating: ${(error as Error).message}. Retrying…`);
  }
  if (mine === session) liveTimer = setTimeout(() => void pollLive(), LIVE_EVERY_MS);
}

function refreshRecent(): void {
  call((stats) => stats.recentUsers(tenants.selected))
    .then((users) => users && live.renderRecent(users))
    .catch(() => {
      // The live view's banner already says when the server cannot be reached.
    });
}

function reportFilter(): ReportFilter {
  const range = rangeSelect.value;
  const filter: ReportFilter = { from: `-${range}`, bucket: bucketSelect.value, tenantIds: tenants.selected };
  if (range === 'custom') {
    const from = new Date(fromInput.value);
    const to = new Date(toInput.value);
    filter.from = Number.isNaN(from.getTime()) ? '-24h' : from.toISOString();
    if (!Number.isNaN(to.getTime())) filter.to = to.toISOString();
  }
  return filter;
}

async function loadHistory(): Promise<void> {
  historyError.hidden = true;
  dashboard.dataset.history = 'loading';
  try {
    const report = await call((stats) => stats.report(reportFilter()));
    if (report) history.render(report);
    dashboard.dataset.history = 'ready';
  } catch (error) {
    historyError.hidden = false;
    historyError.textContent = (error as Error).message;
    dashboard.dataset.history = 'error';
  }
}

function signIn(apiKey: string): void {
  session++;
  client = new StatsClient(apiKey);
  sessionStorage.setItem(KEY_STORAGE, apiKey);
  gate.hidden = true;
  dashboard.hidden = false;
  call((stats) => stats.tenants())
    .then((listing) => listing && tenants.setTenants(listing.tenants))
    .catch(() => {});
  void pollLive();
  refreshRecent();
  recentTimer = setInterval(refreshRecent, RECENT_EVERY_MS);
  void loadHistory();
}

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (key) signIn(key);
});

byId('sign-out').addEventListener('click', () => signOut());

rangeSelect.addEventListener('change', () => {
  customRange.hidden = rangeSelect.value !== 'custom';
  if (rangeSelect.value !== 'custom') void loadHistory();
});

bucketSelect.addEventListener('change', () => void loadHistory());

historyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void loadHistory();
});

const saved = sessionStorage.getItem(KEY_STORAGE);
if (saved) signIn(saved);
else showGate();
