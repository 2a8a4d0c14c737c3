// expect: none
// Fetches prices over HTTP and caches them in Redis.
const axios = require("axios");
const Redis = require("ioredis");

const client = axios.create({ baseURL: "https://prices.example" });
const redis = new Redis({ commandTimeout: 1000 });

async function price(sku) {
  const cached = await redis.get(`catalog:price:${sku}`);
  if (cached) return cached;
  const { data } = await client.get("/prices");
  await redis.set(`catalog:price:${sku}`, data[sku], "EX", 60);
  return data[sku];
}
module.exports = { price };
