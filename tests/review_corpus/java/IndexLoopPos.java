// expect: loop-no-pipeline
import redis.clients.jedis.JedisPooled;

class Stats {
    private final JedisPooled jedis = new JedisPooled("cache", 6379);

    void bump(int n) {
        for (int i = 0; i < n; i++) {
            jedis.incr("stats:hits:" + i);
        }
    }
}
