// expect: none
import Redis from "ioredis";
import { createClient } from "redis";

const redis = new Redis({ commandTimeout: 1000 });
const client = createClient({ socket: { socketTimeout: 1000 } });

export async function cacheUser(id: string, body: string, options: { EX: number }) {
  await redis.set(`cache:user:${id}`, body, "EX", 300);
  await client.set(`cache:user:${id}:v2`, body, { EX: 300 });
  await client.set(`cache:user:${id}:v3`, body, options);
}
