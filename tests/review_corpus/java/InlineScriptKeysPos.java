// expect: lua-keys-command, lua-unbounded-loop
import java.util.List;
import redis.clients.jedis.JedisPooled;

class Purger {
    private static final String PURGE =
        "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do " +
        "  redis.call('UNLINK', k) " +
        "end";
    private final JedisPooled jedis = new JedisPooled("cache", 6379);

    Object purge(String pattern) {
        return jedis.eval(PURGE, List.of(), List.of(pattern));
    }
}
