// expect: none
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import redis.clients.jedis.JedisPooled;

class Prices {
    private final Cache<String, String> cache = CacheBuilder.newBuilder().maximumSize(1000).build();
    private final JedisPooled jedis = new JedisPooled("cache", 6379);

    String price(String sku) {
        String local = cache.getIfPresent("price");
        if (local != null) return local;
        return jedis.get("catalog:price:" + sku);
    }
}
