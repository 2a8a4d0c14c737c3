// expect: none
package cache

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

func CacheUser(ctx context.Context, rdb *redis.Client, id string, body []byte, ttl time.Duration) error {
	if err := rdb.Set(ctx, "cache:user:"+id, body, 10*time.Minute).Err(); err != nil {
		return err
	}
	return rdb.Set(ctx, "cache:user:"+id+":v2", body, ttl).Err()
}
