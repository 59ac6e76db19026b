import { leastLoaded } from './leastLoaded.ts';
import type { PlacementCandidate, PlacementPolicy } from './PlacementPolicy.ts';

/** How far apart regions are, e.g. { "eu-west": { "eu-central": 1, "us-east": 5 } }; read both ways. */
export type RegionDistances = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface RegionAwareOptions {
  distances?: RegionDistances;
}

/**
 * Media travels publisher → OTM → subscribers, so an OTM near its publisher saves a long first hop.
 * The publisher's region first (least-loaded there); when none of its nodes has room, the nearest
 * region that has, by the distance table; regions the table does not place come last, all alike.
 * Within the chosen tier least-loaded decides. Without a publisher region it is least-loaded.
 */
export function regionAware(options: RegionAwareOptions = {}): PlacementPolicy {
  const distances = options.distances ?? {};
  return {
    name: 'region-aware',
    choose(candidates, request) {
      const home = request.region;
      if (home === undefined) return leastLoaded.choose(candidates, request);
      let nearest: PlacementCandidate[] = [];
      let nearestDistance = Number.POSITIVE_INFINITY;
      const unplaced: PlacementCandidate[] = [];
      for (const candidate of candidates) {
        const distance = distanceBetween(distances, home, candidate.report.region);
        if (distance === undefined) {
          unplaced.push(candidate);
        } else if (distance < nearestDistance) {
          nearest = [candidate];
          nearestDistance = distance;
        } else if (distance === nearestDistance) {
          nearest.push(candidate);
        }
      }
      return leastLoaded.choose(nearest.length > 0 ? nearest : unplaced, request);
    },
  };
}

/**
 * -1 for the same region, so the home region wins even over a neighbour listed at distance 0;
 * undefined when the table says nothing about the pair.
 */
export function distanceBetween(distances: RegionDistances, from: string, to: string): number | undefined {
  if (from === to) return -1;
  return lookup(distances, from, to) ?? lookup(distances, to, from);
}

/** Own keys only: a region called "toString" must not find Object.prototype's. */
function lookup(distances: RegionDistances, from: string, to: string): number | undefined {
  if (!Object.hasOwn(distances, from)) return undefined;
  const row = distances[from];
  if (!Object.hasOwn(row, to)) return undefined;
  const distance = row[to];
  return typeof distance === 'number' && Number.isFinite(distance) ? distance : undefined;
}
