// expect: select-nonzero-db
const Redis = require("ioredis");

const sessions = new Redis({ host: "cache", db: 3, commandTimeout: 1000 });

module.exports = { sessions };
