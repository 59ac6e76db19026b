import type { MediaLocks, MeetingLayout, Role } from '../protocol/roomSignalling.ts';

/** Who a join request may enter as, once admitted. */
export interface Admitted {
  name: string;
  role: Role;
  /** An identity from outside (a portal's userID), reported back to that portal. */
  externalUserId?: string;
  /**
   * Where this participant is (a region name of the nodes' `node.region`), when the admission
   * knows: placement prefers it for the participant's streams. A portal gives the joining user's
   * region or its tenant's.
   */
  region?: string;
  /** What the participant may not publish (a portal meeting's lock settings, for its viewers). */
  locks?: MediaLocks;
  /** The meeting's welcome text for the page (plain text), when it has one. */
  welcome?: string;
  /** Where the page sends the person when they leave (an absolute http(s) URL), when anywhere. */
  logoutUrl?: string;
  /** The meeting's name for the page (see JoinResult.meetingName). */
  meetingName?: string;
  /** The page's layout for this meeting (see JoinResult.layout). */
  layout?: MeetingLayout;
  /** The document attached for everyone (see JoinResult.presentation). */
  presentation?: { url: string; name?: string };
}

export interface JoinRequestFacts {
  room: string;
  /** The name the person typed; a join token's name wins over it. */
  name: string;
  /** A signed invitation (e.g. from the BigBlueButton API's join call), when the page had one. */
  joinToken?: string;
}

/**
 * Decides whether a join may enter a room and as whom. The embedded default lets anyone into any
 * room by name; a portal makes its meetings' rooms need the token its join call signed.
 * Throws a ControllerError to refuse.
 */
export interface JoinAdmission {
  admit(request: JoinRequestFacts): Promise<Admitted>;
}

/** Anyone may enter any room under the name they typed, as a moderator (the page has no roles yet). */
export const openAdmission: JoinAdmission = {
  async admit(request) {
    return { name: request.name, role: 'moderator' };
  },
};
