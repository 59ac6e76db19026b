/**
 * What forwarding costs this node, measured: CPU time of its media workers per RTP packet (in +
 * out), smoothed over heartbeats. Capacity then follows the machine (a slower CPU, a busier
 * neighbour, TURN-heavy subscribers) instead of a constant guessed for every machine.
 *
 * Only intervals that carried real traffic count: at a trickle the workers' fixed costs (timers,
 * GC, RTCP) would make each packet look expensive. What is left over-estimates the cost a little,
 * which errs on the side of placing less.
 */
export class PacketCostEstimator {
  /** µs of CPU per packet, once measured. */
  #usPerPacket: number | undefined;
  readonly #minPacketsPerSecond: number;
  readonly #weight: number;

  constructor(options: { minPacketsPerSecond?: number; weight?: number } = {}) {
    this.#minPacketsPerSecond = options.minPacketsPerSecond ?? MIN_PACKETS_PER_SECOND;
    this.#weight = options.weight ?? WEIGHT;
  }

  get usPerPacket(): number | undefined {
    return this.#usPerPacket;
  }

  /** One heartbeat interval: CPU µs the workers used and packets they received and sent. */
  observe(cpuMicros: number, packets: number, seconds: number): void {
    if (!(seconds > 0) || !(packets / seconds >= this.#minPacketsPerSecond) || !(cpuMicros > 0)) return;
    const cost = Math.min(MAX_US_PER_PACKET, Math.max(MIN_US_PER_PACKET, cpuMicros / packets));
    this.#usPerPacket =
      this.#usPerPacket === undefined ? cost : this.#usPerPacket + this.#weight * (cost - this.#usPerPacket);
  }

  /**
   * Packets per second `workers` cores can carry at `cpuShare` of each (headroom for bursts and
   * keyframes); undefined until measured.
   */
  capacity(workers: number, cpuShare = CPU_SHARE): number | undefined {
    if (this.#usPerPacket === undefined) return undefined;
    return Math.floor((workers * cpuShare * 1e6) / this.#usPerPacket);
  }
}

/** Below this rate an interval says more about idle overhead than about forwarding. */
const MIN_PACKETS_PER_SECOND = 2000;
/** Each interval moves the estimate a fifth of the way: a few seconds to follow a real change. */
const WEIGHT = 0.2;
/** Bounds against nonsense (a stalled sample, a clock jump): the measured range is 5–40 µs. */
const MIN_US_PER_PACKET = 1;
const MAX_US_PER_PACKET = 500;
/** Share of each worker core placement may fill. */
const CPU_SHARE = 0.8;
