# expect: loop-no-pipeline
import redis.asyncio as aredis

r = aredis.Redis(socket_timeout=2)


async def warm(ids):
    for item_id in ids:
        await r.set(f"cache:item:{item_id}", b"1", ex=60)
