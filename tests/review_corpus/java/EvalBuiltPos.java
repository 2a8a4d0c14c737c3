// expect: eval-built-script
import java.util.List;
import redis.clients.jedis.JedisPooled;

class Counters {
    private final JedisPooled jedis = new JedisPooled("cache", 6379);

    Object bump(String key, String field) {
        String script = String.format("return redis.call('HINCRBY', KEYS[1], '%s', 1)", field);
        return jedis.eval(script, List.of(key), List.of());
    }
}
