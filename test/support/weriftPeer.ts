import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from 'werift';

/** A werift peer set up the way DESIGN.md's gotchas say: no public STUN, loopback candidates. */
export function createWeriftPeer(): RTCPeerConnection {
  return new RTCPeerConnection({
    iceServers: [],
    // One transport for audio and video, as browsers do; without it werift keeps a socket per m-line.
    bundlePolicy: 'max-bundle',
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/VP8',
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }],
        }),
      ],
    },
  });
}

/** POSTs an SDP offer (WHIP or WHEP) and applies the answer. Returns the resource URL. */
export async function negotiate(pc: RTCPeerConnection, url: string, token: string): Promise<string> {
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
    body: pc.localDescription!.sdp,
  });
  const answer = await response.text();
  if (response.status !== 201) throw new Error(`negotiation failed: ${response.status} ${answer}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  return new URL(response.headers.get('location')!, url).toString();
}

/**
 * Ends a WHIP/WHEP session the way the specs ask clients to: DELETE the resource, then close the
 * peer (werift's close sends no DTLS close_notify, so without the DELETE the node would only
 * notice at the consent timeout).
 */
export async function endSession(pc: RTCPeerConnection, resourceUrl: string, token: string): Promise<void> {
  const response = await fetch(resourceUrl, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${token}` },
  });
  await response.body?.cancel();
  await pc.close();
}

/** A werift publisher sending synthetic VP8 (a keyframe every 30 frames) and Opus packets. */
export function startSyntheticMedia(
  video: MediaStreamTrack,
  audio: MediaStreamTrack | undefined,
): { stop(): void; sentVideo: () => number } {
  let sequence = 1000;
  let audioSequence = 5000;
  let frame = 0;
  let sent = 0;
  const timer = setInterval(() => {
    frame++;
    const keyframe = frame % 30 === 1;
    // VP8 payload descriptor (S=1, PID 0) + a payload header whose P bit (0 = keyframe) is the first bit.
    const payload = Buffer.alloc(1000, frame & 0xff);
    payload[0] = 0x10;
    payload[1] = keyframe ? 0x00 : 0x01;
    const header = new RtpHeader({
      sequenceNumber: sequence++ & 0xffff,
      timestamp: frame * 3000,
      marker: true,
      payloadType: 96,
      ssrc: 1234,
    });
    video.writeRtp(new RtpPacket(header, payload));
    sent++;
    if (audio) {
      const audioHeader = new RtpHeader({
        sequenceNumber: audioSequence++ & 0xffff,
        timestamp: frame * 960,
        payloadType: 111,
        ssrc: 4321,
      });
      audio.writeRtp(new RtpPacket(audioHeader, Buffer.alloc(80, 0x55)));
    }
  }, 20);
  return { stop: () => clearInterval(timer), sentVideo: () => sent };
}

export { MediaStreamTrack };

/** A werift WHIP or WHEP session: its peer, its resource URL and the grant's token. */
export interface WeriftSession {
  pc: RTCPeerConnection;
  resource: string;
  token: string;
}

/** Publishes synthetic VP8 and Opus over WHIP at `url`; stop `media` before ending the session. */
export async function publishSynthetic(
  url: string,
  token: string,
): Promise<WeriftSession & { media: ReturnType<typeof startSyntheticMedia> }> {
  const pc = createWeriftPeer();
  const video = new MediaStreamTrack({ kind: 'video' });
  const audio = new MediaStreamTrack({ kind: 'audio' });
  pc.addTransceiver(audio, { direction: 'sendonly' });
  pc.addTransceiver(video, { direction: 'sendonly' });
  const resource = await negotiate(pc, url, token).catch(async (error: unknown) => {
    await pc.close();
    throw error;
  });
  return { pc, resource, token, media: startSyntheticMedia(video, audio) };
}

/** Plays audio and video over WHEP at `url`, calling `onVideoPacket` for each video RTP packet. */
export async function receiveVideo(
  url: string,
  token: string,
  onVideoPacket: () => void,
): Promise<WeriftSession> {
  const pc = createWeriftPeer();
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.onTrack.subscribe((track) => {
    if (track.kind === 'video') track.onReceiveRtp.subscribe(() => onVideoPacket());
  });
  const resource = await negotiate(pc, url, token).catch(async (error: unknown) => {
    await pc.close();
    throw error;
  });
  return { pc, resource, token };
}

export type SyntheticPublisher = Awaited<ReturnType<typeof publishSynthetic>>;

/** Ends sessions in the order given (viewers before their publisher), a publisher's media stopped first. */
export async function endSessions(
  ...sessions: (WeriftSession & { media?: { stop(): void } })[]
): Promise<void> {
  for (const session of sessions) session.media?.stop();
  for (const session of sessions) await endSession(session.pc, session.resource, session.token);
}
