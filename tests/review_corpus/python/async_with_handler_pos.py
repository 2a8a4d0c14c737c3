# expect: client-per-request
import redis.asyncio


async def handler(request):
    async with redis.asyncio.Redis(host="cache", socket_timeout=1) as r:
        return await r.hget(f"user:profile:{request.match_info['id']}", "name")
