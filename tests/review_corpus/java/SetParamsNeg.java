// expect: none
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.SetParams;

class UserCache {
    private final JedisPooled jedis = new JedisPooled("cache", 6379);

    void put(String id, String json) {
        jedis.set("cache:user:" + id, json, SetParams.setParams().ex(300));
        jedis.setex("cache:user:" + id + ":v2", 300, json);
    }
}
