import type { Tenant } from '../db/TenantRepository.ts';

/** One verified API call: the tenant is known and the checksum matched. */
export interface CallContext {
  tenant: Tenant;
  /** The tenant's secret the checksum was made with (a hook's callbacks are signed with it). */
  secret: string;
  params: ReadonlyMap<string, string>;
  /** Where this request's users reach the meeting page, without trailing slash. */
  meetingPageUrl: string;
  now: number;
}

export type BbbReply = { kind: 'xml'; body: string } | { kind: 'redirect'; location: string };

export const xmlReply = (body: string): BbbReply => ({ kind: 'xml', body });
