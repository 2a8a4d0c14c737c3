// expect: none
package cache

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

func GetOrLoad(ctx context.Context, rdb *redis.Client, key string, load func() string) (string, error) {
	val, err := rdb.Get(ctx, key).Result()
	if err == redis.Nil {
		val = load()
		return val, rdb.Set(ctx, key, val, time.Hour).Err()
	}
	return val, err
}
