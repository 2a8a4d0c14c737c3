// expect: none
const Redis = require("ioredis");

const redis = new Redis();

beforeEach(async () => {
  await redis.flushdb();
});

test("keys are written", async () => {
  await redis.set("session:abc", "x");
  expect(await redis.keys("session:*")).toEqual(["session:abc"]);
});
