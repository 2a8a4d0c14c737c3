// expect: del-on-collection
import Redis from "ioredis";

const redis = new Redis({ commandTimeout: 1000 });

export async function addToCart(cart: string, sku: string) {
  await redis.sadd(`cart:items:${cart}`, sku);
}

export async function clearCart(cart: string) {
  await redis.del(`cart:items:${cart}`);
}
