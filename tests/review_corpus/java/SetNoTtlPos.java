// expect: cache-set-no-ttl
import redis.clients.jedis.JedisPooled;

class UserCache {
    private final JedisPooled jedis = new JedisPooled("cache", 6379);

    void put(String id, String json) {
        jedis.set("cache:user:" + id, json);
    }
}
