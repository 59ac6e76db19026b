import type { HookRecord, HookRepository } from '../db/HookRepository.ts';
import type { Logger } from '../log/Logger.ts';
import { BbbError } from './BbbError.ts';
import {
  createHookError,
  destroyHookError,
  destroyMissingHook,
  listHookError,
  missingCallbackUrl,
  missingHookId,
} from './bbbErrors.ts';
import { checkLength, parseBoolean } from './bbbParams.ts';
import { messageElements, successXml } from './bbbResponses.ts';
import { secretFingerprint } from './callbackSigning.ts';
import { type BbbReply, type CallContext, xmlReply } from './callTypes.ts';
import { el, parent } from './xml.ts';

export interface HookCallsOptions {
  hooks: HookRepository;
  log: Logger;
  /** A tenant's hooks changed (the dispatcher reads them again); with a hookID when one was destroyed. */
  onChange?: (tenantId: string, removedHookId?: number) => void;
  /** Hooks one tenant may have, so one tenant cannot make every event fan out without end. Default 100. */
  maxHooksPerTenant?: number;
}

/**
 * bbb-webhooks' hooks/create, hooks/destroy and hooks/list, per tenant: a tenant sees, removes and
 * receives only its own hooks. Responses follow bbb-webhooks' XML element for element.
 */
export class HookCalls {
  readonly #o: HookCallsOptions;

  constructor(options: HookCallsOptions) {
    this.#o = options;
  }

  async create(ctx: CallContext): Promise<BbbReply> {
    const callbackUrl = ctx.params.get('callbackURL') ?? '';
    if (callbackUrl === '') throw missingCallbackUrl();
    checkCallbackUrl(callbackUrl);
    const meetingId = optional(ctx.params.get('meetingID'));
    if (meetingId !== undefined) checkLength('meetingID', meetingId, 256);
    const eventIds = parseEventIds(ctx.params.get('eventID'));
    const getRaw = parseBoolean(ctx.params.get('getRaw'));
    return this.#guard('create', createHookError, async () => {
      const max = this.#o.maxHooksPerTenant ?? 100;
      const existing = await this.#o.hooks.list(ctx.tenant.id);
      const same = existing.some((h) => h.callbackUrl === callbackUrl && h.meetingId === meetingId);
      if (!same && existing.length >= max)
        throw createHookError(`A tenant may have at most ${max} hooks; destroy one first.`);
      const { hook, created } = await this.#o.hooks.create(
        {
          tenantId: ctx.tenant.id,
          callbackUrl,
          meetingId,
          eventIds,
          getRaw,
          secretFingerprint: secretFingerprint(ctx.secret),
        },
        ctx.now,
      );
      if (!created) {
        return successXml([
          el('hookID', hook.hookId),
          ...messageElements('duplicateWarning', 'There is already a hook for this callback URL.'),
        ]);
      }
      this.#o.onChange?.(ctx.tenant.id);
      return successXml([el('hookID', hook.hookId), el('permanentHook', false), el('rawData', hook.getRaw)]);
    });
  }

  async destroy(ctx: CallContext): Promise<BbbReply> {
    const given = ctx.params.get('hookID') ?? '';
    if (given === '') throw missingHookId();
    if (!/^\d{1,9}$/.test(given)) throw destroyMissingHook();
    const hookId = Number(given);
    return this.#guard('destroy', destroyHookError, async () => {
      if (!(await this.#o.hooks.remove(ctx.tenant.id, hookId))) throw destroyMissingHook();
      this.#o.onChange?.(ctx.tenant.id, hookId);
      return successXml([el('removed', true)]);
    });
  }

  async list(ctx: CallContext): Promise<BbbReply> {
    const meetingId = optional(ctx.params.get('meetingID'));
    return this.#guard('list', listHookError, async () => {
      const hooks = await this.#o.hooks.list(ctx.tenant.id, meetingId);
      return successXml([parent('hooks', hooks.map(hookElement))]);
    });
  }

  /** An unexpected failure becomes the call's own FAILED answer, as bbb-webhooks reports it. */
  async #guard(call: string, failure: () => BbbError, work: () => Promise<string>): Promise<BbbReply> {
    try {
      return xmlReply(await work());
    } catch (error) {
      if (error instanceof BbbError) throw error;
      this.#o.log.error(`hooks/${call} failed`, { error });
      throw failure();
    }
  }
}

function hookElement(hook: HookRecord): string {
  return parent('hook', [
    el('hookID', hook.hookId),
    el('callbackURL', hook.callbackUrl),
    ...(hook.meetingId === undefined ? [] : [el('meetingID', hook.meetingId)]),
    ...(hook.eventIds === undefined ? [] : [el('eventID', hook.eventIds.join(','))]),
    el('permanentHook', false),
    el('rawData', hook.getRaw),
  ]);
}

/** bbb-webhooks takes any string; dotm POSTs to it, so it must be a URL it can POST to. */
function checkCallbackUrl(callbackUrl: string): void {
  checkLength('callbackURL', callbackUrl, 2048);
  let url: URL;
  try {
    url = new URL(callbackUrl);
  } catch {
    throw createHookError('The callbackURL is not a valid absolute URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw createHookError('The callbackURL must be an http or https URL.');
}

/** bbb-webhooks: comma-separated, compared in lower case; absent means every event. */
function parseEventIds(value: string | undefined): string[] | undefined {
  if (value === undefined || value === '') return undefined;
  const ids = [
    ...new Set(
      value
        .toLowerCase()
        .split(',')
        .map((id) => id.trim()),
    ),
  ].filter((id) => id !== '');
  if (ids.length === 0) return undefined;
  for (const id of ids) checkLength('eventID', id, 64);
  return ids.slice(0, 50);
}

function optional(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
