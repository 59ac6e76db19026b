import type { IncomingMessage } from 'node:http';
import type { ControllerExtension } from '../controller/Controller.ts';
import type { RoomObserver } from '../controller/RoomObserver.ts';
import { AttendanceRepository } from '../db/AttendanceRepository.ts';
import type { Database } from '../db/Database.ts';
import { MeetingBanRepository } from '../db/MeetingBanRepository.ts';
import { MeetingRepository } from '../db/MeetingRepository.ts';
import { TenantRepository } from '../db/TenantRepository.ts';
import type { Logger } from '../log/Logger.ts';
import { BbbApi } from './BbbApi.ts';
import { ControllerRuntime, type PortalCluster, type PortalRooms } from './ControllerRuntime.ts';
import type { JoinTokens } from './JoinTokens.ts';
import { KeyedSerialQueue } from './KeyedSerialQueue.ts';
import { MeetingAdminApi } from './MeetingAdminApi.ts';
import { MeetingLifecycle } from './MeetingLifecycle.ts';
import { renderMeetingMetrics } from './meetingMetrics.ts';
import { PortalAdmission } from './PortalAdmission.ts';
import { TenantAdmin } from './TenantAdmin.ts';
import { TenantAdminApi } from './TenantAdminApi.ts';
import { ThemeApi } from './ThemeApi.ts';
import { type WebhookDeliveryOptions, WebhookDispatcher } from './WebhookDispatcher.ts';

export type { PortalCluster, PortalRooms } from './ControllerRuntime.ts';

export interface PortalOptions {
  db: Database;
  joinTokens: JoinTokens;
  /** Where users reach the meeting page, for join redirects (a function: known once listening). */
  publicUrl: () => string;
  sweepIntervalMs: number;
  emptyMeetingGraceMs: number;
  unjoinedMeetingExpiryMs: number;
  log: Logger;
  /**
   * Who may use the tenant admin API at /api/v1/tenants: the controller's API-key check (it may
   * throw an HttpError, e.g. 401 for a missing header). Without it that API is not mounted.
   */
  isAuthorized?: (req: IncomingMessage) => boolean | Promise<boolean>;
  /** Webhook delivery tuning; the defaults are bbb-webhooks' (see WebhookDeliveryOptions). */
  webhooks?: WebhookDeliveryOptions;
  /** Largest JSON body of the admin API. Default 64 KiB. */
  maxAdminBodyBytes?: number;
  /**
   * In cluster mode: how rooms homed on other controllers are seen and ended. Without it every room
   * is this controller's (the embedded default).
   */
  cluster?: PortalCluster;
}

/**
 * The BigBlueButton front door as a controller extension: the API mounted on the controller's HTTP
 * server (and beside it the tenant admin API and the public theme endpoint), admission by join
 * token, meeting history kept from room events, webhooks told of it, and a sweep that ends meetings
 * that emptied, were never joined, or ran out of time.
 */
export class Portal implements ControllerExtension {
  readonly admission: PortalAdmission;
  readonly observer: RoomObserver;
  readonly mounts: ControllerExtension['mounts'];
  readonly webhooks: WebhookDispatcher;
  readonly #lifecycle: MeetingLifecycle;
  /** One room's joins and leaves are recorded in the order they happened. */
  readonly #roomWork = new KeyedSerialQueue();
  readonly #sweeper: NodeJS.Timeout;
  readonly #log: Logger;
  readonly #runtime: ControllerRuntime;
  readonly #meetings: MeetingRepository;
  readonly #tenants: TenantRepository;
  #sweeping: Promise<unknown> | undefined;

  constructor(rooms: PortalRooms, options: PortalOptions) {
    this.#log = options.log.child({ component: 'portal' });
    const runtime = new ControllerRuntime(rooms, options.cluster, options.log);
    this.#runtime = runtime;
    this.#meetings = new MeetingRepository(options.db);
    this.#tenants = new TenantRepository(options.db);
    this.webhooks = new WebhookDispatcher({
      ...options.webhooks,
      db: options.db,
      domain: () => hostOf(options.publicUrl()),
      log: options.log,
    });
    const api = new BbbApi({
      db: options.db,
      runtime,
      joinTokens: options.joinTokens,
      publicUrl: options.publicUrl,
      log: options.log,
      webhooks: this.webhooks,
    });
    // Public and read-only: the meeting page asks it for its tenant's look.
    const themes = new ThemeApi({ tenants: new TenantRepository(options.db), log: options.log });
    const mounts = [api.handler, themes.handler];
    // Other controllers ask this one to end the rooms it is the home of.
    if (options.cluster) mounts.push(runtime.endRoomHandler);
    const { isAuthorized } = options;
    if (isAuthorized) {
      const admin = new TenantAdmin(options.db, {
        onChange: () => {
          api.invalidateTenants();
          themes.invalidate();
          this.webhooks.tenantsChanged();
        },
      });
      const adminApi = new TenantAdminApi({
        admin,
        isAuthorized,
        log: options.log,
        maxBodyBytes: options.maxAdminBodyBytes,
      });
      const meetingAdmin = new MeetingAdminApi({
        meetings: this.#meetings,
        attendance: new AttendanceRepository(options.db),
        tenants: this.#tenants,
        runtime,
        isAuthorized,
        log: options.log,
        events: this.webhooks,
      });
      mounts.push(adminApi.handler, meetingAdmin.handler);
    }
    this.mounts = mounts;
    this.admission = new PortalAdmission(
      options.joinTokens,
      this.#meetings,
      new MeetingBanRepository(options.db),
    );
    this.#lifecycle = new MeetingLifecycle({
      db: options.db,
      runtime,
      log: options.log,
      emptyGraceMs: options.emptyMeetingGraceMs,
      unjoinedExpiryMs: options.unjoinedMeetingExpiryMs,
      events: this.webhooks,
    });
    const record = (what: string, room: string, work: () => Promise<unknown>) =>
      this.#roomWork
        .run(room, work)
        .catch((error: unknown) => this.#log.error(`could not record ${what}`, { room, error }));
    this.observer = {
      participantJoined: (room, participant) => {
        const at = Date.now();
        const arrival = {
          participantId: participant.participantId,
          userId: participant.externalUserId ?? participant.participantId,
          fullName: participant.name,
          role: participant.role,
        };
        record('a join', room, () => this.#lifecycle.participantJoined(room, arrival, at));
      },
      participantLeft: (room, participantId, reason) => {
        const at = Date.now();
        record('a leave', room, () => this.#lifecycle.participantLeft(room, participantId, reason, at));
      },
    };
    this.#sweeper = setInterval(() => {
      if (this.#sweeping) return; // a slow database must not pile sweeps up
      this.#sweeping = Promise.all([this.#lifecycle.sweep(), this.#reconcileRoomsHere()])
        .catch((error: unknown) => this.#log.error('meeting sweep failed', { error }))
        .finally(() => {
          this.#sweeping = undefined;
        });
    }, options.sweepIntervalMs);
    this.#sweeper.unref();
  }

  /**
   * The attendance of the meetings whose rooms live here, checked against who is in them (see
   * MeetingLifecycle.reconcile), in line with the room's own records.
   */
  async #reconcileRoomsHere(): Promise<void> {
    for (const meeting of await this.#meetings.listAllActive()) {
      if (!this.#runtime.localRoom(meeting.room)) continue;
      await this.#roomWork.run(meeting.room, async () => {
        const live = this.#runtime.localRoom(meeting.room);
        if (live) await this.#lifecycle.reconcile(meeting.room, live);
      });
    }
  }

  /** BigBlueButton's meeting gauges (bbb_meetings…) per tenant, over the whole cluster. */
  async metrics(): Promise<string> {
    try {
      const [tenants, meetings] = await Promise.all([this.#tenants.list(), this.#meetings.listAllActive()]);
      const live = await this.#runtime.liveRooms(meetings.map((m) => m.room));
      return renderMeetingMetrics(tenants, meetings, live);
    } catch (error) {
      // The controller's own metrics still answer when the database or Redis does not.
      this.#log.warn('could not count meetings for /metrics', { error });
      return '';
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#sweeping;
    await this.#roomWork.idle();
    await this.webhooks.close();
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname || 'localhost';
  } catch {
    return 'localhost';
  }
}
