// expect: none
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.util.List;

class Warmer {
    private final RedisAsyncCommands<String, String> async;

    Warmer(RedisAsyncCommands<String, String> async) {
        this.async = async;
    }

    void warm(List<String> ids) {
        for (String id : ids) {
            async.setex("cache:item:" + id, 60, "1");
        }
    }
}
