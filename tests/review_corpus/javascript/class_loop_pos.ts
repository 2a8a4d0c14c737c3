// expect: loop-no-pipeline
import type Redis from "ioredis";

export class Carts {
  constructor(private readonly redis: Redis) {}

  async totals(ids: string[]) {
    const out: Record<string, string | null> = {};
    for (let i = 0; i < ids.length; i++) {
      out[ids[i]] = await this.redis.hget(`cart:${ids[i]}`, "total");
    }
    return out;
  }
}
