// expect: multi-exec-logic
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.Transaction;

class Stock {
    private final JedisPool pool = new JedisPool("cache", 6379);

    boolean take(String item) {
        String key = "stock:item:" + item;
        try (Jedis jedis = pool.getResource()) {
            jedis.watch(key);
            int left = Integer.parseInt(jedis.get(key));
            if (left <= 0) {
                jedis.unwatch();
                return false;
            }
            Transaction t = jedis.multi();
            t.decr(key);
            return t.exec() != null;
        }
    }
}
