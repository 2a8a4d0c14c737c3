# expect: eval-built-script
import redis

r = redis.Redis(socket_timeout=2)


def bump(key, field):
    script = "return redis.call('HINCRBY', KEYS[1], '{}', 1)".format(field)
    return r.eval(script, 1, key)
