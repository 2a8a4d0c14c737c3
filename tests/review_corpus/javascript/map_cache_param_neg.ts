// expect: none
import Redis from "ioredis";

const redis = new Redis({ commandTimeout: 1000 });

export async function load(path: string, cache: Map<string, string> = new Map()) {
  const hit = cache.get(path);
  if (hit) return hit;
  const body = (await redis.get(`script:body:${path}`)) ?? "";
  cache.set(path, body);
  return body;
}
