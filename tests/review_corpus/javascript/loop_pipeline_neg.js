// expect: none
const Redis = require("ioredis");

const redis = new Redis({ commandTimeout: 1000 });

async function profiles(ids) {
  const pipeline = redis.pipeline();
  for (const id of ids) {
    pipeline.get(`user:profile:${id}`);
  }
  return pipeline.exec();
}
module.exports = { profiles };
