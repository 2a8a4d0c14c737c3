// expect: cache-set-no-ttl
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

class PageCache {
    private final RedisCommands<String, String> sync;

    PageCache(StatefulRedisConnection<String, String> connection) {
        this.sync = connection.sync();
    }

    void store(String html) {
        sync.set("cache:page:home", html);
    }
}
