// expect: keys-command
const { createClient } = require("redis");

const client = createClient({ socket: { socketTimeout: 1000 } });

async function purge() {
  const keys = await client.keys("tmp:*");
  await Promise.all(keys.map((k) => client.unlink(k)));
}
module.exports = { purge };
