import { ControllerError } from '../controller/ControllerError.ts';
import type { Admitted, JoinAdmission, JoinRequestFacts } from '../controller/JoinAdmission.ts';
import { openAdmission } from '../controller/JoinAdmission.ts';
import type { MeetingBanRepository } from '../db/MeetingBanRepository.ts';
import type { MeetingRepository } from '../db/MeetingRepository.ts';
import { absoluteHttpUrl } from '../protocol/httpUrl.ts';
import type { MediaLocks, MeetingLayout } from '../protocol/roomSignalling.ts';
import { TokenError } from '../security/jwt.ts';
import { welcomeText } from './bbbParams.ts';
import type { JoinTokens } from './JoinTokens.ts';

/**
 * Admission when a portal runs meetings: the room of an active portal meeting is entered only with
 * the invitation its join call signed, which also fixes the person's name, role, userID and region
 * (placement puts their streams near it), and never by a user a moderator removed from it. The
 * page is told the meeting's welcome text and where to send the person afterwards. Rooms
 * no portal created stay open, as on the embedded default.
 */
export class PortalAdmission implements JoinAdmission {
  readonly #tokens: JoinTokens;
  readonly #meetings: MeetingRepository;
  readonly #bans: MeetingBanRepository;

  constructor(tokens: JoinTokens, meetings: MeetingRepository, bans: MeetingBanRepository) {
    this.#tokens = tokens;
    this.#meetings = meetings;
    this.#bans = bans;
  }

  async admit(request: JoinRequestFacts): Promise<Admitted> {
    if (request.joinToken === undefined) {
      if (await this.#meetings.findActiveByRoom(request.room))
        throw new ControllerError(
          'forbidden',
          'this meeting is entered through a join link from its portal; open the meeting from there again',
        );
      return openAdmission.admit(request);
    }
    let grant: ReturnType<JoinTokens['verify']>;
    try {
      grant = this.#tokens.verify(request.joinToken);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      throw new ControllerError(
        'forbidden',
        'the join link has expired or is not valid; open the meeting from its portal again',
      );
    }
    if (grant.room !== request.room)
      throw new ControllerError('forbidden', 'the join link is for another meeting');
    const meeting = await this.#meetings.get(grant.meetingId);
    if (!meeting || meeting.endedAt !== undefined)
      throw new ControllerError('not-found', 'this meeting has ended');
    if (await this.#bans.isBanned(meeting.id, grant.userId))
      throw new ControllerError(
        'forbidden',
        'a moderator removed you from this meeting, so you cannot join it again',
      );
    const welcome = welcomeText(meeting.createParams.welcome ?? '');
    // The token is ours, but its claim is checked as anything that ends up in `location` is.
    const logoutUrl = absoluteHttpUrl(grant.logoutUrl);
    const locks = grant.role === 'viewer' ? locksOf(meeting.createParams) : undefined;
    const layout = LAYOUTS[meeting.createParams.meetingLayout?.toUpperCase() ?? ''];
    const presentationUrl = absoluteHttpUrl(meeting.createParams.preUploadedPresentation);
    const presentationName = meeting.createParams.preUploadedPresentationName?.trim().slice(0, 200);
    return {
      name: grant.fullName,
      role: grant.role,
      externalUserId: grant.userId,
      ...(grant.region ? { region: grant.region } : {}),
      ...(welcome ? { welcome } : {}),
      ...(logoutUrl ? { logoutUrl } : {}),
      ...(locks ? { locks } : {}),
      ...(meeting.name ? { meetingName: meeting.name } : {}),
      ...(layout ? { layout } : {}),
      ...(presentationUrl
        ? { presentation: { url: presentationUrl, ...(presentationName ? { name: presentationName } : {}) } }
        : {}),
    };
  }
}

/** BigBlueButton's `meetingLayout` values the page has a layout for; the others are its default. */
const LAYOUTS: Readonly<Record<string, MeetingLayout | undefined>> = {
  SMART_LAYOUT: 'smart',
  PRESENTATION_FOCUS: 'presentation-focus',
  VIDEO_FOCUS: 'video-focus',
};

/**
 * BigBlueButton's lock settings as they bind a viewer from the moment it joins (moderators are never
 * locked): `lockSettingsDisableCam` and `lockSettingsDisableMic`, unless `lockSettingsLockOnJoin` is
 * false. The tenant's presets reach here too: createParams hold every effective create parameter.
 */
function locksOf(params: Readonly<Record<string, string>>): MediaLocks | undefined {
  if (params.lockSettingsLockOnJoin?.toLowerCase() === 'false') return undefined;
  const camera = params.lockSettingsDisableCam?.toLowerCase() === 'true';
  const microphone = params.lockSettingsDisableMic?.toLowerCase() === 'true';
  return camera || microphone ? { camera, microphone } : undefined;
}
