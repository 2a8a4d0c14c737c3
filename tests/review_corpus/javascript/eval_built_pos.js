// expect: eval-built-script
const Redis = require("ioredis");

const redis = new Redis({ commandTimeout: 1000 });

async function bump(key, field) {
  return redis.eval(`return redis.call('HINCRBY', KEYS[1], '${field}', 1)`, 1, key);
}
module.exports = { bump };
