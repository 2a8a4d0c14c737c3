// expect: flush-outside-tests
import redis.clients.jedis.JedisPooled;

class Admin {
    private final JedisPooled jedis = new JedisPooled("cache", 6379);

    void resetCaches() {
        jedis.flushAll();
    }
}
