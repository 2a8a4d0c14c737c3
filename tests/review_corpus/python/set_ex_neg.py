# expect: none
import redis

r = redis.Redis(socket_timeout=2)


def remember(token, user_id):
    r.set(f"auth:token:{token}", user_id, ex=3600)
    r.setex(f"auth:user:{user_id}", 3600, token)
    r.set(f"auth:last:{user_id}", token, px=60_000, nx=True)
