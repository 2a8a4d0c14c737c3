# expect: none
import redis.asyncio as aredis

r = aredis.from_url("redis://cache:6379/0?socket_timeout=2")


async def warm(ids):
    async with r.pipeline(transaction=False) as pipe:
        for item_id in ids:
            pipe.set(f"cache:item:{item_id}", b"1", ex=60)
        await pipe.execute()
