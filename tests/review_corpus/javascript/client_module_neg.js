// expect: none
const express = require("express");
const Redis = require("ioredis");

const redis = new Redis(process.env.REDIS_URL, { commandTimeout: 1000, maxRetriesPerRequest: 2 });
const app = express();

app.get("/users/:id", async (req, res) => {
  res.send(await redis.get(`user:profile:${req.params.id}`));
});
