// expect: none
import Redis from "ioredis";
import { createClient } from "redis";

const redis = new Redis({ commandTimeout: 1000 });
const client = createClient({ socket: { socketTimeout: 1000 } });

export async function publish(id: string) {
  await redis.xadd("events:orders", "MAXLEN", "~", 100000, "*", "id", id);
  await client.xAdd("events:audit", "*", { id }, { TRIM: { strategy: "MAXLEN", threshold: 1000 } });
}
