// expect: keys-command
const Redis = require("ioredis");

const redis = new Redis({ host: "cache", commandTimeout: 1000 });

async function activeSessions() {
  return redis.keys("session:*");
}
module.exports = { activeSessions };
