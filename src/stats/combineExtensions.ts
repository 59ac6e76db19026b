import type { ControllerExtension } from '../controller/Controller.ts';
import type { RoomObserver } from '../controller/RoomObserver.ts';

/**
 * One observer that tells several (the controller takes one): each is called in turn, and one that
 * throws does not keep the others from hearing the event.
 */
export function fanOutObservers(...observers: (RoomObserver | undefined)[]): RoomObserver {
  const present = observers.filter((o): o is RoomObserver => o !== undefined);
  const each = (call: (observer: RoomObserver) => void): void => {
    const errors: unknown[] = [];
    for (const observer of present) {
      try {
        call(observer);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'room observers failed');
  };
  return {
    participantJoined: (room, participant) => each((o) => o.participantJoined?.(room, participant)),
    participantLeft: (room, participantId, reason) =>
      each((o) => o.participantLeft?.(room, participantId, reason)),
    roomClosed: (room, reason) => each((o) => o.roomClosed?.(room, reason)),
  };
}

/**
 * Several extensions as the one the controller takes: the first admission that is given, every
 * observer, every mount in order, and every close (in reverse order, all of them even if one fails).
 */
export function combineExtensions(...extensions: (ControllerExtension | undefined)[]): ControllerExtension {
  const present = extensions.filter((e): e is ControllerExtension => e !== undefined);
  return {
    admission: present.find((e) => e.admission)?.admission,
    observer: fanOutObservers(...present.map((e) => e.observer)),
    mounts: present.flatMap((e) => e.mounts ?? []),
    metrics: async () => {
      const texts = await Promise.all(present.map((e) => e.metrics?.() ?? ''));
      return texts.join('');
    },
    close: async () => {
      const errors: unknown[] = [];
      for (const extension of [...present].reverse()) {
        try {
          await extension.close?.();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw errors[0];
    },
  };
}
