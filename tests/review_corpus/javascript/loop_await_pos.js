// expect: loop-no-pipeline
const Redis = require("ioredis");

const redis = new Redis({ commandTimeout: 1000 });

async function profiles(ids) {
  const out = [];
  for (const id of ids) {
    out.push(await redis.get(`user:profile:${id}`));
  }
  return out;
}
module.exports = { profiles };
