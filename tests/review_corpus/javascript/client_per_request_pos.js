// expect: client-per-request
const express = require("express");
const { createClient } = require("redis");

const app = express();

app.get("/users/:id", async (req, res) => {
  const client = createClient({ url: process.env.REDIS_URL, socket: { socketTimeout: 1000 } });
  await client.connect();
  res.send(await client.get(`user:profile:${req.params.id}`));
});
