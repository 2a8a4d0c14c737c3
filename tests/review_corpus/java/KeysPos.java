// expect: keys-command
import java.util.Set;
import redis.clients.jedis.JedisPooled;

class Sessions {
    private final JedisPooled jedis = new JedisPooled("cache", 6379);

    Set<String> active() {
        return jedis.keys("session:*");
    }
}
