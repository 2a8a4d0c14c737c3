// expect: client-per-request
import redis.clients.jedis.Jedis;

class UserService {
    String name(String id) {
        try (Jedis jedis = new Jedis("cache", 6379)) {
            return jedis.hget("user:profile:" + id, "name");
        }
    }
}
