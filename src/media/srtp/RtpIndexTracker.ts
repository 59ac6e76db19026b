/**
 * The per-SSRC rollover counter (ROC) and highest sequence number s_l of RFC 3711 §3.3.1, used the
 * same way on both sides: the sender derives the index of each packet it protects from its sequence
 * number (so a wrap 65535→0 bumps the ROC, and a retransmitted old packet keeps its old ROC), the
 * receiver estimates it with the Appendix A rule before authenticating.
 */
export class RtpIndexTracker {
  private roc = 0;
  /** s_l; -1 until the first packet is committed. */
  private highestSequence = -1;
  private highestIndex = -1;

  /**
   * The 48-bit packet index `v·2^16 + seq` with v ∈ {ROC−1, ROC, ROC+1} (RFC 3711 Appendix A), or -1
   * when the guess would be ROC−1 while ROC is still 0 (a packet from before the stream began).
   */
  estimate(sequence: number): number {
    const highest = this.highestSequence;
    if (highest < 0) return sequence;
    let roc = this.roc;
    if (highest < 0x8000) {
      if (sequence - highest > 0x8000) roc -= 1;
    } else if (highest - 0x8000 > sequence) {
      roc += 1;
    }
    if (roc < 0) return -1;
    return roc * 0x10000 + sequence;
  }

  /** Advances ROC and s_l when `index` is the newest seen (older packets never move them back). */
  commit(index: number): void {
    if (index <= this.highestIndex) return;
    this.highestIndex = index;
    this.roc = Math.floor(index / 0x10000);
    this.highestSequence = index % 0x10000;
  }

  get rolloverCounter(): number {
    return this.roc;
  }
}
