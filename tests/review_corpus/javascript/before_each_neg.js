// expect: none
const Redis = require("ioredis");

const redis = new Redis({ commandTimeout: 1000 });

beforeEach(async () => {
  await redis.flushall();
});
