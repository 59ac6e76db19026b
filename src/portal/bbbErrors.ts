import { BbbError } from './BbbError.ts';

/*
 * The failures of the calls dotm answers, with BigBlueButton's message keys and (English) messages.
 * Where BigBlueButton has a legacy and a newer wording for the same key, the legacy one is used: it is
 * what the LMS plugins in the field were written against.
 */

export const checksumError = (): BbbError =>
  new BbbError('checksumError', 'You did not pass the checksum security check');

export const missingMeetingId = (): BbbError =>
  new BbbError('missingParamMeetingID', 'You must specify a meeting ID for the meeting.');

export const missingFullName = (): BbbError =>
  new BbbError(
    'missingParamFullName',
    'You must specify a name for the attendee who will be joining the meeting.',
  );

export const missingRecordId = (): BbbError =>
  new BbbError('missingParamRecordID', 'You must specify a recordID.');

export const missingPublish = (): BbbError =>
  new BbbError('missingParamPublish', 'You must specify a publish value true or false.');

export const validationError = (message: string): BbbError => new BbbError('validationError', message);

export const meetingNotFound = (): BbbError =>
  new BbbError('notFound', 'We could not find a meeting with that meeting ID');

export const meetingNotRunning = (): BbbError =>
  new BbbError(
    'notFound',
    'We could not find a meeting with that meeting ID - perhaps the meeting is not yet running?',
  );

export const recordingsNotFound = (): BbbError => new BbbError('notFound', 'We could not find recordings');

export const invalidMeetingIdentifier = (): BbbError =>
  new BbbError(
    'invalidMeetingIdentifier',
    'The meeting ID that you supplied did not match any existing meetings',
  );

export const meetingForciblyEnded = (): BbbError =>
  new BbbError('meetingForciblyEnded', 'You can not re-join a meeting that has already been forcibly ended.');

export const idNotUnique = (): BbbError =>
  new BbbError(
    'idNotUnique',
    'A meeting already exists with that meeting ID.  Please use a different meeting ID.',
  );

export const invalidJoinPassword = (): BbbError =>
  new BbbError(
    'invalidPassword',
    'You either did not supply a password or the password supplied is neither the attendee or moderator password for this conference.',
  );

export const invalidEndPassword = (): BbbError =>
  new BbbError('invalidPassword', 'You must supply the moderator password for this call.');

export const mismatchCreateTime = (): BbbError =>
  new BbbError(
    'mismatchCreateTimeParam',
    'The createTime parameter submitted mismatches with the current meeting.',
  );

export const maxParticipantsReached = (): BbbError =>
  new BbbError(
    'maxParticipantsReached',
    'The number of participants allowed for this meeting has been reached.',
  );

export const unsupportedRequest = (): BbbError =>
  new BbbError('unsupportedRequest', 'This request is not supported.');

export const internalError = (message: string): BbbError => new BbbError('internalError', message);

/* The hooks calls' failures, with bbb-webhooks' keys and messages. */

export const missingCallbackUrl = (): BbbError =>
  new BbbError('missingParamCallbackURL', 'You must specify a callbackURL in the parameters.');

export const missingHookId = (): BbbError =>
  new BbbError('missingParamHookID', 'You must specify a hookID in the parameters.');

export const destroyMissingHook = (): BbbError =>
  new BbbError('destroyMissingHook', 'The hook informed was not found.');

export const createHookError = (
  message = 'An error happened while creating your hook. Check the logs.',
): BbbError => new BbbError('createHookError', message);

export const destroyHookError = (): BbbError =>
  new BbbError('destroyHookError', 'An error happened while removing your hook. Check the logs.');

export const listHookError = (): BbbError =>
  new BbbError('listHookError', 'An error happened while listing registered hooks. Check the logs.');
