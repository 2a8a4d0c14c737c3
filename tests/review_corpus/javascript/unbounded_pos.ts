// expect: unbounded-read
import { createClient } from "redis";

const client = createClient({ socket: { socketTimeout: 1000 } });

export async function profile(id: string) {
  const fields = await client.hGetAll(`user:profile:${id}`);
  const tags = await client.sMembers(`user:tags:${id}`);
  return { fields, tags };
}
