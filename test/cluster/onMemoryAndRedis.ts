import { RedisServer } from '../support/redisServer.ts';

/** A contract suite: `open` makes the implementation under test, `cleanup` runs after it is closed. */
export type ContractSuite<T> = (
  backend: string,
  open: () => Promise<T>,
  cleanup: () => Promise<void>,
) => void;

/**
 * Runs one contract against the in-memory implementation and against the Redis one over a real
 * redis-server of its own, so the two implementations cannot drift apart.
 */
export function onMemoryAndRedis<T>(
  contract: ContractSuite<T>,
  make: { memory: () => T; redis: (url: string) => T },
): void {
  contract(
    'memory',
    async () => make.memory(),
    async () => {},
  );
  let redis: RedisServer | undefined;
  contract(
    'Redis',
    async () => {
      redis = await RedisServer.start();
      return make.redis(redis.url);
    },
    async () => {
      await redis?.stop();
    },
  );
}
