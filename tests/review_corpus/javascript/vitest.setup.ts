// expect: none
import IORedis from "ioredis";
import { beforeAll } from "vitest";

beforeAll(async () => {
  const client = new IORedis({ maxRetriesPerRequest: null });
  await client.flushall();
  await client.quit();
});
