// expect: none
import { createClient } from "redis";

const client = createClient({ socket: { socketTimeout: 1000 } });

export async function profiles(ids: string[]) {
  // node-redis pipelines commands issued in the same tick
  return Promise.all(ids.map((id) => client.get(`user:profile:${id}`)));
}
