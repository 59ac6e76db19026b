/**
 * JSON shapes of the controller's HTTP API (`/api/v1/...`). Token-minting and admin calls need
 * `Authorization: Bearer <api key>`.
 */
import type { MediaGrant, ParticipantInfo, StreamInfo, StreamKind } from './roomSignalling.ts';

/** `POST /api/v1/publish` — what a WHIP client (OBS, GStreamer) needs to publish into a room. */
export interface PublishRequest {
  room: string;
  participant: string;
  kind?: StreamKind;
}
export interface PublishResponse extends MediaGrant {
  participantId: string;
  /** Same as `url`: the WHIP endpoint. */
  whipUrl: string;
}

/** `POST /api/v1/subscribe` — what a WHEP player needs to watch one stream. */
export interface SubscribeRequest {
  room: string;
  streamId: string;
  participant?: string;
}
export interface SubscribeResponse extends MediaGrant {
  whepUrl: string;
}

/** `GET /api/v1/rooms/:room` */
export interface RoomView {
  room: string;
  participants: ParticipantInfo[];
  streams: StreamInfo[];
}

/** Every error from the HTTP API (controller and node) has this body and a 4xx/5xx status. */
export interface HttpErrorBody {
  error: { code: string; message: string };
}
