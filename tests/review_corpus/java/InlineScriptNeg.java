// expect: none
import java.util.List;
import redis.clients.jedis.JedisPooled;

class RateLimiter {
    private static final String SCRIPT =
        "local current = redis.call('INCR', KEYS[1]) " +
        "if current == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end " +
        "return current";
    private final JedisPooled jedis = new JedisPooled("cache", 6379);

    Object hit(String ip) {
        return jedis.eval(SCRIPT, List.of("rate:limit:ip:" + ip), List.of("60"));
    }
}
