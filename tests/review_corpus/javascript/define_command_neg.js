// expect: none
const Redis = require("ioredis");

const redis = new Redis({ commandTimeout: 1000 });

redis.defineCommand("hit", {
  numberOfKeys: 1,
  lua: "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n",
});

async function hit(ip) {
  return redis.hit(`rate:limit:ip:${ip}`, 60);
}
module.exports = { hit };
