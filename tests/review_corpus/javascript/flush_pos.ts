// expect: flush-outside-tests
import { createClient } from "redis";

const client = createClient({ socket: { socketTimeout: 1000 } });

export async function resetCaches() {
  await client.flushAll();
}
