# expect: none
import sys

import redis

r = redis.Redis(socket_timeout=2)

if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(name, r.llen(f"queue:{name}"))
