// expect: none
import Redis from "ioredis";

const cluster = new Redis.Cluster([{ host: "node1", port: 7000 }], { redisOptions: { commandTimeout: 1000 } });

export async function both(id: string) {
  return cluster.mget(`user:{${id}}:profile`, `user:{${id}}:settings`);
}
