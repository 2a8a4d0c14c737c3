// expect: loop-no-pipeline
import java.util.List;
import redis.clients.jedis.JedisPooled;

class Logout {
    private final JedisPooled jedis = new JedisPooled("cache", 6379);

    void all(List<String> sessionIds) {
        sessionIds.forEach(id -> jedis.unlink("session:" + id));
    }
}
