// expect: pickle-values
import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.data.redis.serializer.JdkSerializationRedisSerializer;

class RedisConfig {
    RedisTemplate<String, Object> template(RedisTemplate<String, Object> template) {
        template.setValueSerializer(new JdkSerializationRedisSerializer());
        return template;
    }
}
