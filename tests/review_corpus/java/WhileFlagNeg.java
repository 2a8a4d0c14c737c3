// expect: none
import org.springframework.data.redis.core.RedisTemplate;

public class WhileFlagNeg {
    private RedisTemplate<String, String> redisTemplate;
    private volatile boolean running = true;

    public void poll() {
        while (running) {
            String job = redisTemplate.opsForList().rightPop("jobs:pending");
            if (job == null) {
                running = false;
            }
        }
    }
}
