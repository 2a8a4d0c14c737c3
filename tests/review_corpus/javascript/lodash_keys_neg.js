// expect: none
const _ = require("lodash");
const { createClient } = require("redis");

const client = createClient({ socket: { socketTimeout: 1000 } });

async function save(user) {
  const fields = _.keys(user);
  await client.set(`user:fields:${user.id}`, fields.join(","), { EX: 300 });
}
module.exports = { save };
