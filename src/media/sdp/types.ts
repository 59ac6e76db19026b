export type MediaKind = 'audio' | 'video';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export type DtlsSetup = 'actpass' | 'active' | 'passive' | 'holdconn';

export interface CodecParameters {
  payloadType: number;
  /** As written in the SDP ('opus', 'OPUS', 'VP8', 'H264'...): compare case-insensitively. */
  name: string;
  clockRate: number;
  channels?: number;
  fmtp?: string;
  /** e.g. 'nack', 'nack pli', 'ccm fir', 'goog-remb', 'transport-cc' */
  rtcpFeedback: string[];
}

export interface Fingerprint {
  algorithm: string;
  value: string;
}

export interface LocalIceDtls {
  iceUfrag: string;
  icePwd: string;
  fingerprint: { algorithm: 'sha-256'; value: string /* AB:CD:... */ };
  candidates: Array<{ ip: string; port: number; protocol: 'udp' }>;
}

export interface RemoteIceDtls {
  iceUfrag: string;
  icePwd: string;
  fingerprints: Fingerprint[];
  setup: DtlsSetup;
}

export interface NegotiatedTrack {
  mid: string;
  kind: MediaKind;
  codec: CodecParameters;
  /** We answer without RTX: NACKed packets are resent on the media SSRC. */
  rtxPayloadType?: never;
  extensions: Array<{ id: number; uri: string }>;
  ssrcs: number[];
  /** Simulcast layers, in the offer's order. */
  rids: string[];
  msid?: { streamId: string; trackId: string };
}

export interface SourceTrack {
  kind: MediaKind;
  codec: Omit<CodecParameters, 'payloadType' | 'rtcpFeedback'>;
  /** The OTM's outbound SSRC for this track. */
  ssrc: number;
  cname: string;
  streamId: string;
  trackId: string;
}

export interface PublishOptions {
  /** Preference order, default ['opus']. */
  audioCodecs?: string[];
  /** Preference order, default ['VP8', 'H264']. */
  videoCodecs?: string[];
  /** Header extension URIs we accept; default DEFAULT_PUBLISH_EXTENSIONS. */
  extensions?: string[];
  /** RTCP feedback we accept; default DEFAULT_RTCP_FEEDBACK. */
  rtcpFeedback?: string[];
}

export interface SubscribeOptions {
  /** Header extension URIs we send; default DEFAULT_SUBSCRIBE_EXTENSIONS. */
  extensions?: string[];
  /** RTCP feedback we accept from subscribers; default DEFAULT_RTCP_FEEDBACK. */
  rtcpFeedback?: string[];
}

/** One `a=` line kept verbatim, so nothing the typed model skips is lost. */
export interface SdpAttribute {
  name: string;
  value?: string;
  line: number;
}

export interface Origin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addressType: string;
  address: string;
}

export interface Connection {
  netType: string;
  addressType: string;
  address: string;
}

export interface Group {
  semantics: string;
  mids: string[];
}

export interface Candidate {
  foundation: string;
  component: number;
  transport: string;
  priority: number;
  address: string;
  port: number;
  type: string;
  relatedAddress?: string;
  relatedPort?: number;
  /** Extension name/value pairs after the mandatory fields ('generation', 'ufrag', 'network-id'...). */
  extensions: Array<{ name: string; value: string }>;
}

export interface Extmap {
  id: number;
  direction?: Direction;
  uri: string;
  attributes?: string;
}

export interface SsrcAttribute {
  ssrc: number;
  attribute: string;
  value?: string;
}

export interface SsrcGroup {
  semantics: string;
  ssrcs: number[];
}

export interface Rid {
  id: string;
  direction: 'send' | 'recv';
  /** Everything after the direction ('pt=96;max-width=1280'), verbatim. */
  restrictions?: string;
}

export interface SimulcastLayer {
  rid: string;
  paused: boolean;
}

/** Each stream is a list of alternative rids; streams are in the order written. */
export interface Simulcast {
  send?: SimulcastLayer[][];
  recv?: SimulcastLayer[][];
}

export interface Msid {
  streamId: string;
  trackId?: string;
}

export interface MediaSection {
  /** 'audio' | 'video' | 'application' or whatever else was written. */
  kind: string;
  port: number;
  portCount?: number;
  protocol: string;
  /** Format tokens as written: payload type numbers for RTP, e.g. 'webrtc-datachannel' otherwise. */
  formats: string[];
  /** Line number of the m= line, for error messages. */
  line: number;
  connection?: Connection;
  mid?: string;
  /** Media-level direction, else session-level, else 'sendrecv'. */
  direction: Direction;
  /** One entry per format that has an rtpmap or a well-known static payload type, in m-line order. */
  codecs: CodecParameters[];
  extmaps: Extmap[];
  ssrcs: SsrcAttribute[];
  ssrcGroups: SsrcGroup[];
  rids: Rid[];
  simulcast?: Simulcast;
  msids: Msid[];
  iceUfrag?: string;
  icePwd?: string;
  iceOptions?: string[];
  fingerprints: Fingerprint[];
  setup?: DtlsSetup;
  candidates: Candidate[];
  endOfCandidates: boolean;
  rtcpMux: boolean;
  rtcpRsize: boolean;
  bundleOnly: boolean;
  attributes: SdpAttribute[];
}

export interface SessionDescription {
  version: 0;
  origin: Origin;
  sessionName: string;
  connection?: Connection;
  iceUfrag?: string;
  icePwd?: string;
  iceOptions?: string[];
  iceLite: boolean;
  fingerprints: Fingerprint[];
  setup?: DtlsSetup;
  direction?: Direction;
  groups: Group[];
  /** Mids of the first a=group:BUNDLE, if any. */
  bundle?: string[];
  /** Session-level extmaps (RFC 8285 allows them); each media section's `extmaps` already includes them. */
  extmaps: Extmap[];
  extmapAllowMixed: boolean;
  attributes: SdpAttribute[];
  media: MediaSection[];
}
