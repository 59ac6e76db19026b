import type { RecordingFilter, RecordingRepository, RecordingState } from '../db/RecordingRepository.ts';
import { missingPublish, missingRecordId, recordingsNotFound } from './bbbErrors.ts';
import { parseBoolean, parseCount } from './bbbParams.ts';
import { messageElements, recordingElement, successXml } from './bbbResponses.ts';
import { type BbbReply, type CallContext, xmlReply } from './callTypes.ts';
import { el, parent } from './xml.ts';

const STATES = new Set<RecordingState>(['processing', 'processed', 'published', 'unpublished', 'deleted']);
const META_FILTER = /^meta_([a-zA-Z][a-zA-Z0-9-]*)$/;

/** getRecordings, publishRecordings, deleteRecordings, updateRecordings — for one verified tenant. */
export class RecordingCalls {
  readonly #recordings: RecordingRepository;

  constructor(recordings: RecordingRepository) {
    this.#recordings = recordings;
  }

  async getRecordings(ctx: CallContext): Promise<BbbReply> {
    const filter: RecordingFilter = {};
    const meetingIds = list(ctx.params.get('meetingID'));
    if (meetingIds.length > 0) filter.externalMeetingIds = meetingIds;
    const recordIds = list(ctx.params.get('recordID'));
    if (recordIds.length > 0) filter.recordIds = recordIds;
    const states = list(ctx.params.get('state'));
    if (states.includes('any')) filter.states = 'any';
    else if (states.length > 0)
      filter.states = states.filter((s): s is RecordingState => STATES.has(s as RecordingState));
    const meta: Record<string, string[]> = {};
    for (const [name, value] of ctx.params) {
      const match = META_FILTER.exec(name);
      if (match) meta[match[1]!.toLowerCase()] = list(value);
    }
    if (Object.keys(meta).length > 0) filter.meta = meta;
    if (ctx.params.has('offset')) filter.offset = parseCount(ctx.params.get('offset'));
    if (ctx.params.has('limit')) filter.limit = Math.min(parseCount(ctx.params.get('limit')), 100) || 100;

    const recordings = await this.#recordings.list(ctx.tenant.id, filter);
    if (recordings.length === 0) {
      return xmlReply(
        successXml([
          parent('recordings', []),
          ...messageElements('noRecordings', 'There are no recordings for the meeting(s).'),
        ]),
      );
    }
    return xmlReply(successXml([parent('recordings', recordings.map(recordingElement))]));
  }

  async publishRecordings(ctx: CallContext): Promise<BbbReply> {
    const recordIds = requireRecordIds(ctx.params);
    const publish = ctx.params.get('publish');
    if (!publish) throw missingPublish();
    const published = parseBoolean(publish);
    const changed = await this.#recordings.setPublished(ctx.tenant.id, recordIds, published, ctx.now);
    if (changed === 0) throw recordingsNotFound();
    return xmlReply(successXml([el('published', published)]));
  }

  async deleteRecordings(ctx: CallContext): Promise<BbbReply> {
    const changed = await this.#recordings.markDeleted(ctx.tenant.id, requireRecordIds(ctx.params), ctx.now);
    if (changed === 0) throw recordingsNotFound();
    return xmlReply(successXml([el('deleted', true)]));
  }

  async updateRecordings(ctx: CallContext): Promise<BbbReply> {
    const recordIds = requireRecordIds(ctx.params);
    const set: Record<string, string> = {};
    const remove: string[] = [];
    for (const [name, value] of ctx.params) {
      const match = META_FILTER.exec(name);
      if (!match) continue;
      // BBB: an empty value removes the entry.
      if (value === '') remove.push(match[1]!.toLowerCase());
      else set[match[1]!.toLowerCase()] = value;
    }
    const changed = await this.#recordings.updateMetadata(ctx.tenant.id, recordIds, set, remove, ctx.now);
    if (changed === 0) throw recordingsNotFound();
    return xmlReply(successXml([el('updated', true)]));
  }
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function requireRecordIds(params: ReadonlyMap<string, string>): string[] {
  const ids = list(params.get('recordID'));
  if (ids.length === 0) throw missingRecordId();
  return ids.slice(0, 100);
}
