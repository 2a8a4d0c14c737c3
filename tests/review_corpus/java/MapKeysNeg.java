// expect: none
import java.util.Enumeration;
import java.util.Hashtable;
import redis.clients.jedis.JedisPooled;

class Config {
    private final JedisPooled jedis = new JedisPooled("cache", 6379);
    private final Hashtable<String, String> table = new Hashtable<>();

    void copy() {
        Enumeration<String> names = table.keys();
        for (String name : table.keySet()) {
            System.out.println(name);
        }
    }

    String name(String id) {
        return jedis.hget("user:profile:" + id, "name");
    }
}
