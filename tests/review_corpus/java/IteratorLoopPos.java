// expect: loop-no-pipeline
import java.util.Iterator;
import java.util.Set;
import org.springframework.data.redis.core.RedisTemplate;

public class IteratorLoopPos {
    private RedisTemplate<String, String> redisTemplate;

    public void addAll(String key, Set<String> values) {
        Iterator<String> it = values.iterator();
        while (it.hasNext()) {
            redisTemplate.opsForSet().add(key, it.next());
        }
    }
}
