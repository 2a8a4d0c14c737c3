// expect: no-socket-timeout
const Redis = require("ioredis");

const redis = new Redis({ host: "cache.internal", port: 6379 });

module.exports = { redis };
