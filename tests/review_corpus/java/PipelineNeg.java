// expect: none
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.Pipeline;

class Profiles {
    private final JedisPool pool = new JedisPool("cache", 6379);

    List<Object> load(List<String> ids) {
        try (Jedis jedis = pool.getResource()) {
            Pipeline p = jedis.pipelined();
            for (String id : ids) {
                p.get("user:profile:" + id);
            }
            return p.syncAndReturnAll();
        }
    }
}
