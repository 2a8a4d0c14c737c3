// expect: none
package app;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

class CacheTest {
    Jedis jedis = new Jedis("localhost", 6390);

    @BeforeEach
    void clean() {
        jedis.flushDB();
    }

    @Test
    void writes() {
        jedis.set("session:abc", "x");
        assert jedis.keys("session:*").size() == 1;
    }
}
