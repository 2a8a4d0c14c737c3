// expect: none
const Redis = require("ioredis");

const redis = new Redis({ commandTimeout: 1000 });
const seen = new Map();

function fields(obj) {
  const names = Object.keys(obj);
  for (const k of seen.keys()) names.push(k);
  return names;
}

async function profile(id) {
  return redis.get(`user:profile:${id}`);
}
module.exports = { fields, profile };
