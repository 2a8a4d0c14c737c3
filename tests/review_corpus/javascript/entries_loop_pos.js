// expect: loop-no-pipeline
const Redis = require("ioredis");

const redis = new Redis({ commandTimeout: 1000 });

async function saveSettings(map) {
  for (const [field, value] of Object.entries(map)) {
    await redis.hset("settings:app", field, value);
  }
}
module.exports = { saveSettings };
