# expect: none
import redis

r = redis.Redis(socket_timeout=2)


class Batch:
    def add(self, key):
        self.commands.append(("GET", key))
        self.conn.append(key)
