// expect: none
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;

class UserService {
    private final JedisPool pool;

    UserService() {
        JedisPoolConfig config = new JedisPoolConfig();
        config.setMaxTotal(20);
        config.setMinIdle(5);
        pool = new JedisPool(config, "cache", 6379);
    }

    String name(String id) {
        try (Jedis jedis = pool.getResource()) {
            return jedis.hget("user:profile:" + id, "name");
        }
    }
}
