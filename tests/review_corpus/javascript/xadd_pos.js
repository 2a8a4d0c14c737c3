// expect: xadd-no-maxlen
const Redis = require("ioredis");

const redis = new Redis({ commandTimeout: 1000 });

async function publish(order) {
  await redis.xadd("events:orders", "*", "id", order.id, "total", order.total);
}
module.exports = { publish };
