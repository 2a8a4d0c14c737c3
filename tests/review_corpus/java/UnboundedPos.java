// expect: unbounded-read
import java.util.Map;
import java.util.Set;
import redis.clients.jedis.JedisPooled;

class Profiles {
    private final JedisPooled jedis = new JedisPooled("cache", 6379);

    Map<String, String> profile(String id) {
        return jedis.hgetAll("user:profile:" + id);
    }

    Set<String> tags(String id) {
        return jedis.smembers("user:tags:" + id);
    }
}
