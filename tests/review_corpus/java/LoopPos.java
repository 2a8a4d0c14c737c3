// expect: loop-no-pipeline
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.JedisPooled;

class Profiles {
    private final JedisPooled jedis = new JedisPooled("cache", 6379);

    List<String> load(List<String> ids) {
        List<String> out = new ArrayList<>();
        for (String id : ids) {
            out.add(jedis.get("user:profile:" + id));
        }
        return out;
    }
}
