// expect: cache-set-no-ttl
const Redis = require("ioredis");

const redis = new Redis({ commandTimeout: 1000 });

async function cacheUser(user) {
  await redis.set(`cache:user:${user.id}`, JSON.stringify(user));
}
module.exports = { cacheUser };
