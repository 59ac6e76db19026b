/**
 * The dotm browser SDK: `new DotmClient({ url })`, join a room, publish camera and screen, and
 * receive everyone else's streams as MediaStreams.
 */

export { absoluteHttpUrl } from '../protocol/httpUrl.ts';
export type {
  ChatMessage,
  JoinResult,
  MediaGrant,
  ParticipantInfo,
  Role,
  StreamInfo,
  StreamKind,
} from '../protocol/roomSignalling.ts';
export type { BackoffOptions } from './backoff.ts';
export type { ClientLogger } from './ClientLogger.ts';
export { consoleLogger } from './ClientLogger.ts';
export type {
  ConnectionState,
  DotmClientEvents,
  DotmClientOptions,
  MediaDevicesLike,
  PublishCameraOptions,
} from './DotmClient.ts';
export { DotmClient, signallingUrl } from './DotmClient.ts';
export type { ClientErrorCode } from './DotmError.ts';
export { DotmError } from './DotmError.ts';
export { LocalStream } from './LocalStream.ts';
export type { MeetingDetails } from './meetingDetails.ts';
export type { StorageLike } from './RejoinStore.ts';
export { RemoteStream } from './RemoteStream.ts';
export type {
  RequestFields,
  RequestType,
  RoomEvent,
  SignallingState,
  WebSocketConstructor,
  WebSocketLike,
} from './SignallingChannel.ts';
export { SignallingChannel } from './SignallingChannel.ts';
export type { FetchLike, MediaSessionState, RTCPeerConnectionConstructor } from './WebRtcHttpSession.ts';
export { WebRtcHttpSession } from './WebRtcHttpSession.ts';
export type { MediaStreamConstructor, WhepSessionOptions } from './WhepSession.ts';
export { WhepSession } from './WhepSession.ts';
export type { WhipSessionOptions } from './WhipSession.ts';
export { WhipSession } from './WhipSession.ts';
