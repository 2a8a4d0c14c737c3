// expect: cache-set-no-ttl
package cache

import (
	"context"

	"github.com/redis/go-redis/v9"
)

func CacheUser(ctx context.Context, rdb *redis.Client, id string, body []byte) error {
	return rdb.Set(ctx, "cache:user:"+id, body, 0).Err()
}
