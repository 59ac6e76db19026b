import { ControllerError } from '../controller/ControllerError.ts';
import type { Admitted, JoinAdmission, JoinRequestFacts } from '../controller/JoinAdmission.ts';
import { openAdmission } from '../controller/JoinAdmission.ts';
import type { MeetingRepository } from '../db/MeetingRepository.ts';
import { TokenError } from '../security/jwt.ts';
import type { JoinTokens } from './JoinTokens.ts';

/**
 * Admission when a portal runs meetings: the room of an active portal meeting is entered only with
 * the invitation its join call signed, which also fixes the person's name, role and userID. Rooms
 * no portal created stay open, as on the embedded default.
 */
export class PortalAdmission implements JoinAdmission {
  readonly #tokens: JoinTokens;
  readonly #meetings: MeetingRepository;

  constructor(tokens: JoinTokens, meetings: MeetingRepository) {
    this.#tokens = tokens;
    this.#meetings = meetings;
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
    return { name: grant.fullName, role: grant.role, externalUserId: grant.userId };
  }
}
