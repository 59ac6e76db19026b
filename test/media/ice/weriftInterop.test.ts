import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTCPeerConnection } from 'werift';
import { UdpMux } from '../../../src/media/ice/UdpMux.ts';
import { RecordingHandler, waitFor } from './iceTestKit.ts';

function sdpValue(sdp: string, key: string): string {
  const match = new RegExp(`^a=${key}:(.+)$`, 'm').exec(sdp);
  if (!match) throw new Error(`no a=${key} in SDP`);
  return match[1].trim();
}

describe('UdpMux interop', () => {
  it('accepts a werift RTCPeerConnection as the controlling ICE agent', async () => {
    const mux = await UdpMux.bind({ listenIp: '127.0.0.1' });
    const handler = new RecordingHandler();
    const endpoint = mux.createEndpoint(handler);
    const pc = new RTCPeerConnection({ iceServers: [], iceAdditionalHostAddresses: ['127.0.0.1'] });
    try {
      pc.createDataChannel('probe');
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      const local = pc.localDescription!.sdp;
      endpoint.remoteUfrag = sdpValue(local, 'ice-ufrag');
      const mid = sdpValue(local, 'mid');
      // A minimal ICE-lite answer; the DTLS fingerprint is a placeholder (only ICE is under test).
      const answer = [
        'v=0',
        'o=- 1 1 IN IP4 127.0.0.1',
        's=-',
        't=0 0',
        'a=ice-lite',
        `a=group:BUNDLE ${mid}`,
        'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
        'c=IN IP4 127.0.0.1',
        `a=mid:${mid}`,
        `a=ice-ufrag:${endpoint.localUfrag}`,
        `a=ice-pwd:${endpoint.localPwd}`,
        `a=fingerprint:sha-256 ${Array.from({ length: 32 }, () => 'AB').join(':')}`,
        // setup:active leaves werift the DTLS server: as a client it would keep a handshake retransmit
        // timer alive for ~30 s after close().
        'a=setup:active',
        'a=sctp-port:5000',
        `a=${mux.candidate()}`,
        'a=end-of-candidates',
        '',
      ].join('\r\n');
      const states: string[] = [];
      pc.iceConnectionStateChange.subscribe((state) => states.push(state));
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      await waitFor(() => handler.connected.length > 0, 'our endpoint to see a valid check', 10_000);
      await waitFor(() => states.includes('connected'), 'werift ICE connected', 10_000);
      assert.equal(endpoint.selectedTuple?.address, '127.0.0.1');
      assert.equal(endpoint.nominated, true);
      assert.ok(mux.stats().stunRequests >= 1);
      assert.equal(mux.stats().droppedDatagrams, 0);
    } finally {
      await pc.close();
      await mux.close();
    }
  });
});
