// expect: multi-exec-logic
const Redis = require("ioredis");

const redis = new Redis({ commandTimeout: 1000 });

async function take(item) {
  const key = `stock:item:${item}`;
  await redis.watch(key);
  const left = Number(await redis.get(key));
  if (left <= 0) {
    await redis.unwatch();
    return false;
  }
  return redis.multi().decr(key).exec();
}
module.exports = { take };
