// expect: select-nonzero-db
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;

class Clients {
    static final RedisClient SESSIONS = RedisClient.create(
        RedisURI.builder().withHost("cache").withPort(6379).withDatabase(2).build());
}
