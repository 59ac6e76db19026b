import { randomInt } from 'node:crypto';
import { SequenceRewriter } from '../rtp/SequenceRewriter.ts';
import type { CodecParameters, MediaKind } from '../sdp/types.ts';

/**
 * One outgoing track of an OTM (its audio, or its video). The OTM owns the outgoing SSRC, sequence
 * numbers and timestamps, so subscribers see one continuous track even when the publisher
 * reconnects (new SSRC, new numbering) or the OTM is rebuilt on another node.
 */
export class OtmTrack {
  readonly kind: MediaKind;
  readonly ssrc: number;
  readonly trackId: string;
  codec: CodecParameters;
  /** The publisher's SSRC currently feeding this track. */
  inboundSsrc: number | undefined;
  /** outgoing timestamp − incoming timestamp (mod 2^32), to translate the publisher's Sender Reports. */
  timestampOffset = 0;
  readonly rewriter: SequenceRewriter;
  packets = 0;
  octets = 0;

  constructor(kind: MediaKind, codec: CodecParameters) {
    this.kind = kind;
    this.codec = codec;
    this.ssrc = randomInt(1, 0xffffffff);
    this.trackId = `${kind}-${this.ssrc.toString(16)}`;
    this.rewriter = new SequenceRewriter({ clockRate: codec.clockRate });
  }
}
