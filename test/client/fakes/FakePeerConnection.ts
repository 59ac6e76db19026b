import type { RTCPeerConnectionConstructor } from '../../../src/client/WebRtcHttpSession.ts';
import { FakeMediaStreamTrack } from './FakeMediaStreamTrack.ts';

export interface FakeTransceiver {
  mid: string;
  kind: 'audio' | 'video';
  direction: RTCRtpTransceiverDirection;
  sender: {
    track: FakeMediaStreamTrack | null;
    replaceTrack(track: FakeMediaStreamTrack | null): Promise<void>;
  };
  receiver: { track: FakeMediaStreamTrack };
}

let nextCredentials = 1;

/** Records what the session does with it and produces plausible Chrome-like offers. */
export class FakePeerConnection {
  readonly configuration: RTCConfiguration;
  readonly transceivers: FakeTransceiver[] = [];
  readonly offerOptions: (RTCOfferOptions | undefined)[] = [];
  readonly remoteDescriptions: RTCSessionDescriptionInit[] = [];
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  currentRemoteDescription: RTCSessionDescriptionInit | null = null;
  signalingState: RTCSignalingState = 'stable';
  iceConnectionState: RTCIceConnectionState = 'new';
  connectionState: RTCPeerConnectionState = 'new';
  closed = false;
  oniceconnectionstatechange: ((event: Event) => unknown) | null = null;
  onconnectionstatechange: ((event: Event) => unknown) | null = null;
  #ufrag = `cl${nextCredentials}`;
  #pwd = `clientpassword${nextCredentials++}xxxxxxxxxx`;

  constructor(configuration: RTCConfiguration) {
    this.configuration = configuration;
  }

  get ufrag(): string {
    return this.#ufrag;
  }

  addTransceiver(
    trackOrKind: FakeMediaStreamTrack | 'audio' | 'video',
    init: RTCRtpTransceiverInit,
  ): FakeTransceiver {
    const track = typeof trackOrKind === 'string' ? null : trackOrKind;
    const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
    const sender = {
      track,
      async replaceTrack(next: FakeMediaStreamTrack | null) {
        sender.track = next;
      },
    };
    const transceiver: FakeTransceiver = {
      mid: String(this.transceivers.length),
      kind,
      direction: init.direction ?? 'sendrecv',
      sender,
      receiver: { track: new FakeMediaStreamTrack(kind, `remote ${kind}`) },
    };
    this.transceivers.push(transceiver);
    return transceiver;
  }

  getTransceivers(): FakeTransceiver[] {
    return [...this.transceivers];
  }

  async createOffer(options?: RTCOfferOptions): Promise<RTCSessionDescriptionInit> {
    this.offerOptions.push(options);
    if (options?.iceRestart) {
      this.#ufrag = `cl${nextCredentials}`;
      this.#pwd = `clientpassword${nextCredentials++}xxxxxxxxxx`;
    }
    return { type: 'offer', sdp: this.#offerSdp() };
  }

  async setLocalDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.localDescription = description;
    this.signalingState = 'have-local-offer';
  }

  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.remoteDescriptions.push(description);
    this.remoteDescription = description;
    this.currentRemoteDescription = description;
    this.signalingState = 'stable';
  }

  close(): void {
    this.closed = true;
    this.signalingState = 'closed';
  }

  setIceState(state: RTCIceConnectionState): void {
    this.iceConnectionState = state;
    this.oniceconnectionstatechange?.(new Event('iceconnectionstatechange'));
  }

  #offerSdp(): string {
    const mids = this.transceivers.map((transceiver) => transceiver.mid);
    const lines = [
      'v=0',
      'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
      's=-',
      't=0 0',
      `a=group:BUNDLE ${mids.join(' ')}`,
      'a=extmap-allow-mixed',
      'a=msid-semantic: WMS',
    ];
    for (const transceiver of this.transceivers) {
      const audio = transceiver.kind === 'audio';
      lines.push(
        audio ? 'm=audio 9 UDP/TLS/RTP/SAVPF 111 63' : 'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
        'c=IN IP4 0.0.0.0',
        'a=rtcp:9 IN IP4 0.0.0.0',
        `a=ice-ufrag:${this.#ufrag}`,
        `a=ice-pwd:${this.#pwd}`,
        'a=ice-options:trickle',
        'a=fingerprint:sha-256 4F:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9',
        'a=setup:actpass',
        `a=mid:${transceiver.mid}`,
        `a=${transceiver.direction}`,
        'a=rtcp-mux',
        audio ? 'a=rtpmap:111 opus/48000/2' : 'a=rtpmap:96 VP8/90000',
      );
      if (transceiver.mid === '0') {
        lines.push('a=candidate:842163049 1 udp 2122260223 192.168.1.20 54321 typ host generation 0');
      }
    }
    return `${lines.join('\r\n')}\r\n`;
  }
}

/** A constructor to inject plus every connection it made. */
export function fakePeerConnectionClass(): {
  RTCPeerConnection: RTCPeerConnectionConstructor;
  connections: FakePeerConnection[];
} {
  const connections: FakePeerConnection[] = [];
  class TrackedPeerConnection extends FakePeerConnection {
    constructor(configuration: RTCConfiguration) {
      super(configuration);
      connections.push(this);
    }
  }
  return { RTCPeerConnection: TrackedPeerConnection as unknown as RTCPeerConnectionConstructor, connections };
}
